// Spend and rate limits per agent, enforced at the broker (issue 31): exact request counts under
// concurrency, answers in the provider's own shape, tokens and cost from the providers' usage,
// windows that reset, and the usage a person sees.

import { request as httpRequest } from "node:http";
import { createVaultClient, type LimitNotice, TOKEN_SCOPES } from "@agent-vault/sdk";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ActivityDocument, AgentLimitsDocument, AgentUsageDocument } from "../../../sdk/src/generated/graphql.ts";
import { openVaultApp } from "../../../server/app.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { upstreamSettings } from "../../../server/modules/broker/upstream.ts";
import { parsePrices } from "../../../server/modules/limit/prices.ts";
import { anthropicAnswer, listen, mockUpstream, type Received } from "../../helpers/mock-upstream.ts";
import { entryByName, ok, refused, request } from "../../helpers/operations.ts";
import { marker, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

type Mock = Awaited<ReturnType<typeof mockUpstream>>;
type Served = Awaited<ReturnType<typeof listen>>;

// 12:00:30 UTC on a day of the vault's own clock, which the tests move.
const START = Date.UTC(2026, 11, 6, 12, 0, 30);
let clock = START;
const masterKey = newMasterKey();
let vault: TestVault;
let served: Served;
let mock: Mock;
let user: Awaited<ReturnType<TestVault["newUser"]>>;

/** Answers like OpenRouter: a chat completion whose usage says what it cost. */
const chargedAnswer = (costUsd: number) => (_request: Received, res: import("node:http").ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(
    JSON.stringify({
      id: "gen-1",
      model: "test/model",
      choices: [{ index: 0, message: { role: "assistant", content: "hi" } }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: costUsd },
    }),
  );
};

async function brokeredSecret() {
  return ok(user.gql, "addSecret", {
    name: `LIMITED_KEY_${marker("N").slice(2, 10)}`,
    value: marker("sk-real"),
    delivery: "BROKERED",
    upstream: {
      baseUrl: `${mock.url}/v1`,
      header: "Authorization",
      template: "Bearer {value}",
      baseUrlVariable: "LIMITED_BASE_URL",
    },
  });
}

async function agentOn(secretId: string, on: Served = served) {
  const agent = await ok(user.gql, "createAgent", { name: marker("agent"), entryIds: [secretId] });
  const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
  const env = await on.environment(token);
  const secretName = Object.keys(env).find((name) => name.startsWith("LIMITED_KEY_")) as string;
  return { agent, baseUrl: env.LIMITED_BASE_URL as string, placeholder: env[secretName] as string };
}

function call(target: { baseUrl: string; placeholder: string }, body: unknown = { model: "test/model" }) {
  return fetch(`${target.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.placeholder}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** A second instance on the same database, served over a socket; close() stops both. */
async function secondInstance() {
  const again = await openVaultApp({
    databaseUrl: vault.databaseUrl,
    masterKeys: parseMasterKeys(masterKey, "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
    now: () => clock,
    upstreams: { ...upstreamSettings({}), allowPrivate: true },
  });
  const served = await listen({ ...vault, vault: again } as TestVault);
  return {
    origin: served.origin,
    close: async () => {
      await served.close();
      await again.close();
    },
  };
}

const limitsOf = async (agentId: string) =>
  (await request(user.gql, AgentLimitsDocument, { id: agentId })).agent?.limits ?? [];

/** Waits until the agent's first limit shows `done` (a request's usage is settled once its answer has ended). */
async function settled(
  agentId: string,
  done: (used: { requests: number; tokens: number; costUsd: number }) => boolean,
) {
  for (let i = 0; i < 200; i++) {
    const [limit] = await limitsOf(agentId);
    if (limit && done(limit.used)) return limit;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("the usage was not settled");
}

/** The agent's usage once it shows `requests` requests (usage is written within a second, in batches). */
async function usageShowing(agentId: string, requests: number, bucket: "HOUR" | "DAY" = "DAY") {
  for (let i = 0; i < 300; i++) {
    const found = await request(user.gql, AgentUsageDocument, {
      id: agentId,
      from: new Date(START - 86_400_000).toISOString(),
      to: new Date(START + 86_400_000).toISOString(),
      bucket,
    });
    const shown = (found.agent?.usage ?? []).reduce((sum, b) => sum + b.requests, 0);
    if (shown === requests) return found.agent;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the usage did not show ${requests} requests`);
}

beforeEach(async () => {
  clock = START;
  mock = await mockUpstream();
  vault = await startTestVault({
    masterKeys: parseMasterKeys(masterKey, "AGENT_VAULT_MASTER_KEY"),
    now: () => clock,
    prices: { takenOn: "test", models: parsePrices('{"claude-test": {"input": 1, "output": 2}}', "test") },
    upstreams: {
      ...upstreamSettings({ AGENT_VAULT_ANTHROPIC_URL: mock.url, AGENT_VAULT_OPENAI_URL: `${mock.url}/v1` }),
      allowPrivate: true,
    },
  });
  served = await listen(vault);
  user = await vault.newUser("limits");
});

afterEach(async () => {
  await served.close();
  await vault.close();
  await mock.close();
});

describe("setting a limit", () => {
  it("refuses a limit without a maximum, a maximum below 1, a secret that is not brokered, and someone else's agent", async () => {
    const secret = await brokeredSecret();
    const { agent } = await agentOn(secret.id);
    const plain = await ok(user.gql, "addSecret", { name: "PLAIN_KEY", value: marker("plain") });
    const none = await refused(user.gql, "setAgentLimit", { agentId: agent.id, window: "MINUTE" }, "ValidationError");
    expect(none.message).toMatch(/at least one maximum/);
    const zero = await refused(
      user.gql,
      "setAgentLimit",
      { agentId: agent.id, window: "MINUTE", maxRequests: 0 },
      "ValidationError",
    );
    expect(zero.field).toBe("maxRequests");
    const cost = await refused(
      user.gql,
      "setAgentLimit",
      { agentId: agent.id, window: "DAY", maxCostUsd: -1 },
      "ValidationError",
    );
    expect(cost.field).toBe("maxCostUsd");
    const notBrokered = await refused(
      user.gql,
      "setAgentLimit",
      { agentId: agent.id, secretId: plain.id, window: "DAY", maxRequests: 5 },
      "ValidationError",
    );
    expect(notBrokered).toMatchObject({ field: "secretId" });
    expect(notBrokered.message).toContain("PLAIN_KEY is not brokered");
    const stranger = await vault.newUser("stranger");
    await refused(stranger.gql, "setAgentLimit", { agentId: agent.id, window: "DAY", maxRequests: 5 }, "NotFoundError");
    expect(await limitsOf(agent.id)).toEqual([]);
  });

  it("needs LIMITS_MANAGE, which no other scope gives", async () => {
    const secret = await brokeredSecret();
    const { agent } = await agentOn(secret.id);
    const { token } = await ok(user.gql, "createApiToken", {
      name: "everything-but-limits",
      scopes: TOKEN_SCOPES.filter((scope) => scope !== "LIMITS_MANAGE"),
    });
    const forbidden = await refused(
      vault.client(token),
      "setAgentLimit",
      { agentId: agent.id, window: "DAY", maxRequests: 1 },
      "ForbiddenError",
    );
    expect(forbidden.scope).toBe("LIMITS_MANAGE");
  });
});

describe("a limit of requests", () => {
  it("forwards exactly N of many requests sent at once; the rest get 429 with retry-after; another agent is unaffected", async () => {
    const secret = await brokeredSecret();
    const limited = await agentOn(secret.id);
    const free = await agentOn(secret.id);
    const limit = await ok(user.gql, "setAgentLimit", { agentId: limited.agent.id, window: "MINUTE", maxRequests: 10 });
    expect(limit).toMatchObject({ window: "MINUTE", maxRequests: 10, used: { requests: 0 } });
    expect(limit.resetsAt).toBe(new Date(Date.UTC(2026, 11, 6, 12, 1, 0)).toISOString());

    const answers = await Promise.all(Array.from({ length: 60 }, () => call(limited)));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(50);
    expect(mock.received).toHaveLength(10);
    const refusal = answers.find((answer) => answer.status === 429) as Response;
    expect(refusal.headers.get("retry-after")).toBe("30");
    const body = (await refusal.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("agent_vault_limit_reached");
    expect(body.error.message).toContain("10 requests per minute");
    for (const answer of answers) if (!answer.bodyUsed) await answer.body?.cancel();

    const other = await Promise.all(Array.from({ length: 15 }, () => call(free)));
    expect(other.map((answer) => answer.status)).toEqual(Array(15).fill(200));
    for (const answer of other) await answer.body?.cancel();

    const [shown] = await limitsOf(limited.agent.id);
    expect(shown?.used.requests).toBe(10);
  });

  // PostgreSQL serves several instances; a SQLite vault is one process.
  it.skipIf(process.env.AGENT_VAULT_TEST_DB !== "postgres")(
    "forwards exactly N of 200 requests sent at once through two instances",
    async () => {
      const secret = await brokeredSecret();
      const target = await agentOn(secret.id);
      await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 10 });
      const second = await secondInstance();
      try {
        const through = { ...target, baseUrl: target.baseUrl.replace(served.origin, second.origin) };
        const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => call(i % 2 ? through : target)));
        const statuses = answers.map((answer) => answer.status);
        for (const answer of answers) await answer.body?.cancel();
        expect(statuses.filter((status) => status === 200)).toHaveLength(10);
        expect(statuses.filter((status) => status === 429)).toHaveLength(190);
        expect(mock.received).toHaveLength(10);
      } finally {
        await second.close();
      }
    },
  );

  it.skipIf(process.env.AGENT_VAULT_TEST_DB !== "postgres")(
    "gives back what one instance claimed and did not use, so that another forwards exactly the rest",
    async () => {
      const secret = await brokeredSecret();
      const target = await agentOn(secret.id);
      await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 200 });
      const second = await secondInstance();
      const status = async (to: { baseUrl: string; placeholder: string }) => {
        const answer = await call(to);
        await answer.body?.cancel();
        return answer.status;
      };
      try {
        // The first instance claims requests ahead of need, more than these 20 use.
        for (let i = 0; i < 20; i++) expect(await status(target)).toBe(200);
        const through = { ...target, baseUrl: target.baseUrl.replace(served.origin, second.origin) };
        let forwarded = 20;
        // The rest, through the second, once the first gave back what it did not use.
        for (const until = Date.now() + 10_000; forwarded < 200 && Date.now() < until; ) {
          if ((await status(through)) === 200) forwarded++;
          else await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(forwarded).toBe(200);
        expect(await status(through)).toBe(429);
        expect(await status(target)).toBe(429);
        expect(mock.received).toHaveLength(200);
        const [shown] = await limitsOf(target.agent.id);
        expect(shown?.used.requests).toBe(200);
      } finally {
        await second.close();
      }
    },
  );

  it.skipIf(process.env.AGENT_VAULT_TEST_DB !== "postgres")(
    "shows on one instance, at once, the requests another instance forwarded",
    async () => {
      const secret = await brokeredSecret();
      const target = await agentOn(secret.id);
      await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 1000 });
      const second = await secondInstance();
      try {
        const through = { ...target, baseUrl: target.baseUrl.replace(served.origin, second.origin) };
        for (let round = 1; round <= 3; round++) {
          for (let i = 0; i < 10; i++) {
            const answer = await call(through);
            await answer.body?.cancel();
            expect(answer.status).toBe(200);
          }
          const [shown] = await limitsOf(target.agent.id);
          expect(shown?.used.requests).toBe(10 * round);
        }
      } finally {
        await second.close();
      }
    },
  );

  it("keeps the window's count across a restart of the vault, and lets requests through again once it resets", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 3 });
    expect((await call(target)).status).toBe(200);
    expect((await call(target)).status).toBe(200);
    // Stopped as a shutdown stops it, and started again on the same database.
    await served.close();
    await vault.restart();
    served = await listen(vault);
    const after = { ...target, baseUrl: target.baseUrl.replace(/^http:\/\/[^/]+/, served.origin) };
    expect((await call(after)).status).toBe(200);
    expect((await call(after)).status).toBe(429);
    const [limit] = await limitsOf(target.agent.id);
    expect(limit?.used.requests).toBe(3);
    clock += 30_000;
    expect((await call(after)).status).toBe(200);
    expect((await call(after)).status).toBe(200);
    expect(mock.received).toHaveLength(5);
  });

  it("applies a secret's limit only to that secret's requests", async () => {
    const first = await brokeredSecret();
    const second = await brokeredSecret();
    const agent = await ok(user.gql, "createAgent", { name: marker("agent"), entryIds: [first.id, second.id] });
    const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
    const env = await served.environment(token);
    await ok(user.gql, "setAgentLimit", { agentId: agent.id, secretId: first.id, window: "HOUR", maxRequests: 1 });
    const through = (secret: { id: string; name: string }) => ({
      baseUrl: `${served.origin}/broker/${secret.id}/v1`,
      placeholder: env[secret.name] as string,
    });
    expect((await call(through(first))).status).toBe(200);
    const over = await call(through(first));
    expect(over.status).toBe(429);
    expect(over.headers.get("x-should-retry")).toBe("false");
    expect((await call(through(second))).status).toBe(200);
    expect((await call(through(second))).status).toBe(200);
    const [limit] = await limitsOf(agent.id);
    expect(limit).toMatchObject({ secretId: first.id, secretName: first.name, used: { requests: 1 } });
  });

  it("counts no request refused before it goes (another secret's path, the wrong header), and exactly N after", async () => {
    const secret = await brokeredSecret();
    const other = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 12 });
    const elsewhere = await call({ ...target, baseUrl: target.baseUrl.replace(secret.id, other.id) });
    expect(elsewhere.status).toBe(401);
    const misplaced = await fetch(`${target.baseUrl}/chat/completions`, {
      method: "POST",
      headers: { "x-api-key": target.placeholder, "content-type": "application/json" },
      body: "{}",
    });
    expect(misplaced.status).toBe(401);
    expect(await misplaced.json()).toMatchObject({ error: { type: "agent_vault_misplaced_placeholder" } });
    expect((await limitsOf(target.agent.id))[0]?.used.requests).toBe(0);
    // And then exactly the maximum of many at once (on PostgreSQL, each counted by its read).
    const statuses = (await Promise.all(Array.from({ length: 30 }, () => call(target)))).map((r) => r.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(12);
    expect(statuses.filter((status) => status === 429)).toHaveLength(18);
    expect((await limitsOf(target.agent.id))[0]?.used.requests).toBe(12);
    expect(mock.received).toHaveLength(12);
  });

  it("takes back a request counted and never sent (its agent left while the tripwire read its body)", async () => {
    const secret = await brokeredSecret();
    // An environment secret: the leak tripwire (block, the default) reads each body whole before it goes.
    const plain = await ok(user.gql, "addSecret", { name: `PLAIN_${marker("N").slice(2, 10)}`, value: marker("v") });
    const agent = await ok(user.gql, "createAgent", { name: marker("agent"), entryIds: [secret.id, plain.id] });
    const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
    const env = await served.environment(token);
    const target = { baseUrl: env.LIMITED_BASE_URL as string, placeholder: env[secret.name] as string };
    await ok(user.gql, "setAgentLimit", { agentId: agent.id, window: "MINUTE", maxRequests: 5 });
    expect((await call(target)).status).toBe(200);
    // A body announced at 1 MB, of which a part is sent before the agent goes away.
    await new Promise<void>((resolve) => {
      const left = httpRequest(`${target.baseUrl}/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${target.placeholder}`,
          "content-type": "application/json",
          "content-length": String(1024 * 1024),
        },
      });
      left.on("error", () => {});
      left.write(`{"model": "test/model", "pad": "${"x".repeat(4096)}`);
      setTimeout(() => {
        left.destroy();
        resolve();
      }, 200);
    });
    await settled(agent.id, (used) => used.requests === 1);
    expect(mock.received).toHaveLength(1);
  });

  it("counts nothing for a value that fails its integrity check (a database writer moved its upstream)", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 5 });
    expect((await call(target)).status).toBe(200);
    const redirected = JSON.stringify({ ...secret.upstream, baseUrl: "http://127.0.0.1:9/v1" });
    await vault.asWriter((db) => db.entry.update({ where: { id: secret.id }, data: { upstream: redirected } }));
    const response = await call(target);
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("agent_vault_value_unreadable");
    expect((await limitsOf(target.agent.id))[0]?.used.requests).toBe(1);
    expect(mock.received).toHaveLength(1);
  });

  it("counts a request in every limit once a second one is set (on PostgreSQL after requests counted by their read)", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 100 });
    expect((await call(target)).status).toBe(200);
    expect((await call(target)).status).toBe(200);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "HOUR", maxRequests: 2 });
    expect((await call(target)).status).toBe(200);
    expect((await call(target)).status).toBe(200);
    expect((await call(target)).status).toBe(429);
    const used = (await limitsOf(target.agent.id)).map((limit) => [limit.window, limit.used.requests]);
    expect(used).toEqual(
      expect.arrayContaining([
        ["MINUTE", 4],
        ["HOUR", 2],
      ]),
    );
    expect(mock.received).toHaveLength(4);
  });

  it("is gone with removeAgentLimit", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    const limit = await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "DAY", maxRequests: 1 });
    expect((await call(target)).status).toBe(200);
    expect((await call(target)).status).toBe(429);
    expect(await ok(user.gql, "removeAgentLimit", { id: limit.id })).toBe(limit.id);
    expect((await call(target)).status).toBe(200);
    await refused(user.gql, "removeAgentLimit", { id: limit.id }, "NotFoundError");
  });
});

describe("answers in the provider's shape", () => {
  it("gives the official SDKs a 429 they read as a rate limit (Anthropic's rate_limit_error, OpenAI's error object)", async () => {
    for (const [provider, prefix] of [
      ["ANTHROPIC", "sk-ant-api03"],
      ["OPENAI", "sk-proj"],
    ] as const) {
      await ok(user.gql, "connectAiProvider", { provider, credential: marker(prefix), delivery: "BROKERED" });
    }
    const names = ["ANTHROPIC_API_KEY", "OPENAI_API_KEY"];
    const entries = await Promise.all(names.map((name) => entryByName(user.gql, name)));
    const agent = await ok(user.gql, "createAgent", {
      name: marker("agent"),
      entryIds: entries.map((e) => e?.id as string),
    });
    await ok(user.gql, "setAgentLimit", { agentId: agent.id, window: "DAY", maxRequests: 1 });
    const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
    const env = await served.environment(token);
    mock.received.length = 0;

    const anthropic = new Anthropic({ apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, maxRetries: 0 });
    await anthropic.messages.create({
      model: "claude-test",
      max_tokens: 5,
      messages: [{ role: "user", content: "hi" }],
    });
    const anthropicError = await anthropic.messages
      .create({ model: "claude-test", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
      .catch((error: unknown) => error);
    expect(anthropicError).toBeInstanceOf(Anthropic.RateLimitError);
    expect((anthropicError as InstanceType<typeof Anthropic.RateLimitError>).error).toMatchObject({
      type: "error",
      error: { type: "rate_limit_error" },
    });
    const openaiError = await openai.chat.completions
      .create({ model: "gpt-test", messages: [{ role: "user", content: "hi" }] })
      .catch((error: unknown) => error);
    expect(openaiError).toBeInstanceOf(OpenAI.RateLimitError);
    expect((openaiError as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("rate_limit_exceeded");
    expect(mock.received).toHaveLength(1);
  });
});

describe("tokens and cost", () => {
  it("stops a cost limit at its maximum, counted from the provider's usage", async () => {
    await mock.close();
    mock = await mockUpstream(chargedAnswer(0.01));
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "DAY", maxCostUsd: 0.1 });
    let passed = 0;
    for (let i = 0; i < 15; i++) {
      const answer = await call(target);
      await answer.arrayBuffer();
      if (answer.status !== 200) {
        expect(answer.status).toBe(429);
        continue;
      }
      passed++;
      await settled(target.agent.id, (used) => Math.abs(used.costUsd - passed * 0.01) < 1e-9);
    }
    expect(passed).toBe(10);
    expect(mock.received).toHaveLength(10);
    const usage = { agent: await usageShowing(target.agent.id, 10) };
    expect(usage.agent?.spentTodayUsd).toBeCloseTo(0.1, 9);
    expect(usage.agent?.usage).toEqual([
      expect.objectContaining({
        start: new Date(Date.UTC(2026, 11, 6)).toISOString(),
        provider: null,
        secretName: secret.name,
        requests: 10,
        inputTokens: 100,
        outputTokens: 50,
        unpricedRequests: 0,
        errors: 0,
      }),
    ]);
    expect(usage.agent?.usage[0]?.costUsd).toBeCloseTo(0.1, 9);
  });

  it("counts a stream's tokens from its usage events, prices them, and reserves max_tokens while a request is in flight", async () => {
    await mock.close();
    mock = await mockUpstream(anthropicAnswer("hello", ["hel", "lo"]));
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "DAY", maxTokens: 100 });
    const answer = await call(target, { model: "claude-test", max_tokens: 60, stream: true, messages: [] });
    expect(answer.headers.get("content-type")).toContain("event-stream");
    await answer.text();
    // message_start says 3 input tokens, message_delta 2 output tokens: 5, the 60 reserved released.
    const limit = await settled(target.agent.id, (used) => used.tokens === 5);
    expect(limit.used.requests).toBe(1);
    // 5 used + 60 reserved is under 100; then 65 + 60 reserved would be, had it been admitted before the first settled.
    const whole = await call(target, { model: "claude-test", max_tokens: 60, messages: [] });
    expect(whole.status).toBe(200);
    await whole.text();
    await settled(target.agent.id, (used) => used.tokens === 12);
    const [bucket] = (await usageShowing(target.agent.id, 2, "HOUR"))?.usage ?? [];
    expect(bucket?.start).toBe(new Date(Date.UTC(2026, 11, 6, 12)).toISOString());
    expect(bucket).toMatchObject({ requests: 2, inputTokens: 6, outputTokens: 6, unpricedRequests: 0 });
    // claude-test at $1 and $2 per million: 6 × 1 + 6 × 2 = 18 millionths of a dollar.
    expect(bucket?.costUsd).toBeCloseTo(0.000018, 12);
  });

  it("counts an answer with no usage it can read as an unpriced request", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "DAY", maxRequests: 100 });
    await (await call(target)).text();
    await settled(target.agent.id, (used) => used.requests === 1);
    const [bucket] = (await usageShowing(target.agent.id, 1))?.usage ?? [];
    expect(bucket).toMatchObject({ requests: 1, unpricedRequests: 1 });
  });
});

describe("notices", () => {
  it("tells limitReached subscribers, live, of the agent's limit at 80 % and at 100 %", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    const other = await agentOn(secret.id);
    await ok(user.gql, "setAgentLimit", { agentId: other.agent.id, window: "MINUTE", maxRequests: 1 });
    const limit = await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "DAY", maxRequests: 5 });
    const client = createVaultClient({ url: `${served.origin}/graphql`, token: user.token });
    let connected!: () => void;
    const listening = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const notices = client.limitReached({ agentId: target.agent.id }, { connected });
    const received: LimitNotice[] = [];
    const reading = (async () => {
      for await (const notice of notices) {
        received.push(notice);
        if (received.length === 2) break;
      }
    })();
    await listening;
    await (await call(other)).arrayBuffer(); // another agent's limit: not this subscription's
    for (let i = 0; i < 6; i++) await (await call(target)).arrayBuffer();
    await reading;
    expect(received.map((notice) => notice.percent)).toEqual([80, 100]);
    expect(received[1]).toMatchObject({
      limitId: limit.id,
      window: "DAY",
      measure: "requests",
      used: 5,
      maximum: 5,
      secretName: secret.name,
      agent: { id: target.agent.id },
    });
  });

  it("records a limit at 80 % and at 100 % in the activity log", async () => {
    const secret = await brokeredSecret();
    const target = await agentOn(secret.id);
    const limit = await ok(user.gql, "setAgentLimit", { agentId: target.agent.id, window: "MINUTE", maxRequests: 5 });
    for (let i = 0; i < 6; i++) await (await call(target)).arrayBuffer();
    const page = await request(user.gql, ActivityDocument, { filter: { actions: ["LIMIT_REACHED"] } });
    const details = page.activity.edges.map((edge) => JSON.parse(edge.node.details ?? "{}"));
    expect(details.map((d) => d.percent).sort()).toEqual([100, 80]);
    expect(details[0]).toMatchObject({ limitId: limit.id, measure: "requests", maximum: 5 });
    const set = await request(user.gql, ActivityDocument, { filter: { actions: ["LIMIT_SET"] } });
    expect(set.activity.edges).toHaveLength(1);
  });
});

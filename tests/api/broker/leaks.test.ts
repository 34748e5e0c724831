// The leak tripwire at the broker (AGENT_VAULT_LEAK_POLICY): a request that carries the value of
// one of its agent's environment secrets, in any of the forms an agent turns it into, is blocked
// (nothing forwarded), redacted or recorded; each case is in the activity log and heard live,
// never with the value; clean requests pass untouched.
import { request as httpRequest } from "node:http";
import { createVaultClient, type LeakNotice } from "@agent-vault/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { ActivityDocument } from "../../../sdk/src/generated/graphql.ts";
import { upstreamSettings } from "../../../server/modules/broker/upstream.ts";
import type { LeakPolicy } from "../../../server/modules/leak/leak-policy.ts";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { listen, mockUpstream } from "../../helpers/mock-upstream.ts";
import { nodes, ok, request } from "../../helpers/operations.ts";
import { marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

type Mock = Awaited<ReturnType<typeof mockUpstream>>;
type Served = Awaited<ReturnType<typeof listen>>;

let vault: TestVault | undefined;
let served: Served | undefined;
let mock: Mock | undefined;

afterEach(async () => {
  await served?.close();
  await vault?.close();
  await mock?.close();
  vault = served = mock = undefined;
});

const REDACTED = "[redacted by agent-vault]";

/** A vault with the policy, and an agent with 20 environment secrets, a variable and a brokered key. */
async function agentWith(policy: LeakPolicy, leakIdleMs?: number, trustedProxies?: number) {
  mock = await mockUpstream();
  vault = await startTestVault({
    upstreams: { ...upstreamSettings({}), allowPrivate: true },
    leakPolicy: policy,
    leakIdleMs,
  });
  served = await listen(vault, { trustedProxies });
  const user = await vault.newUser("leaks");
  // Values with characters that JSON, URLs and base64 each write their own way.
  const values = Array.from({ length: 20 }, (_, i) => `${marker(`v${i}`)}${i % 2 ? '/p@ss+"wörd"&=' : ""}`);
  const secrets = [];
  for (const [i, value] of values.entries()) {
    secrets.push(await ok(user.gql, "addSecret", { name: `ENV_SECRET_${i}`, value }));
  }
  const variable = await ok(user.gql, "addVariable", { name: "REGION", value: marker("region") });
  const brokered = await ok(user.gql, "addSecret", {
    name: "API_KEY",
    value: marker("sk-brokered"),
    delivery: "BROKERED",
    upstream: { baseUrl: `${mock.url}/v1`, template: "Bearer {value}", baseUrlVariable: "API_BASE_URL" },
  });
  const agent = await ok(user.gql, "createAgent", {
    name: "leaky-bot",
    entryIds: [...secrets.map((secret) => secret.id), variable.id, brokered.id],
  });
  const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
  const env = await served.environment(token);
  const send = (path: string, body: string | null, headers: Record<string, string> = {}) =>
    fetch(`${env.API_BASE_URL}${path}`, {
      method: body === null ? "GET" : "POST",
      headers: { authorization: `Bearer ${env.API_KEY}`, "content-type": "application/json", ...headers },
      body,
    });
  const events = async () =>
    nodes(
      (
        await request(user.gql, ActivityDocument, {
          filter: { actions: ["SECRET_LEAK_BLOCKED", "SECRET_LEAK_REDACTED", "SECRET_LEAK_SEEN"] },
        })
      ).activity,
    );
  return { user, values, secrets, variable, agent, env, send, events, mock, served, vault };
}

/** A prompt holding the value in one way. */
function prompts(value: string): Record<string, string> {
  const raw = Buffer.from(value);
  return {
    raw: JSON.stringify({ messages: [{ role: "user", content: "key: " }] }).replace("key: ", `key: ${value}`),
    json: JSON.stringify({ messages: [{ role: "user", content: `my key is ${value}, keep it` }] }),
    base64: JSON.stringify({ content: `b64 ${raw.toString("base64")}` }),
    base64url: JSON.stringify({ content: `b64url ${raw.toString("base64url")}` }),
    base64Inside: JSON.stringify({ content: Buffer.concat([Buffer.from("env: "), raw]).toString("base64") }),
    urlEncoded: JSON.stringify({ content: `https://example.com/?k=${encodeURIComponent(value)}` }),
    hex: JSON.stringify({ content: raw.toString("hex") }),
  };
}

/** A body sent in two writes, the value cut in the middle: the broker sees it as two chunks. */
function sendSplit(url: string, placeholder: string, first: string, second: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { authorization: `Bearer ${placeholder}`, "content-type": "text/plain" } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.write(first);
    setTimeout(() => req.end(second), 50);
  });
}

describe("the leak tripwire, policy block (the default)", () => {
  it("records the agent's address as the trusted proxy in front of the vault gives it", async () => {
    const a = await agentWith("block", undefined, 1);
    const body = JSON.stringify({ content: a.values[0] });
    expect((await a.send("/chat", body, { "x-forwarded-for": "198.51.100.23" })).status).toBe(403);
    const [event] = await a.events();
    expect(event).toMatchObject({ action: "SECRET_LEAK_BLOCKED", clientAddress: "198.51.100.23" });
  });

  it("refuses a request carrying a secret's value in any form, forwarding nothing, and records it without the value", async () => {
    const a = await agentWith("block");
    const value = a.values[3] as string;
    for (const [form, body] of Object.entries(prompts(value))) {
      const response = await a.send("/chat/completions", body);
      expect(response.status, form).toBe(403);
      const answer = (await response.json()) as { error: { type: string; message: string } };
      expect(answer.error.type).toBe("agent_vault_secret_in_request");
      expect(answer.error.message).toContain("the request carries the value of ENV_SECRET_3");
      expect(findMarkers(JSON.stringify(answer), [value])).toEqual([]);
    }
    // In the query, in a header, and split across two writes of a streaming body.
    expect((await a.send(`/search?q=${encodeURIComponent(value)}`, null)).status).toBe(403);
    expect((await a.send("/chat", "{}", { "x-debug": `token=${value}` })).status).toBe(403);
    const half = Math.floor(value.length / 2);
    const split = await sendSplit(
      `${a.env.API_BASE_URL}/chat`,
      a.env.API_KEY as string,
      `prompt ${value.slice(0, half)}`,
      `${value.slice(half)} end`,
    );
    expect(split).toBe(403);
    expect(a.mock.received).toEqual([]);

    const events = await a.events();
    expect(events.length).toBe(Object.keys(prompts(value)).length + 3);
    expect(events[0]).toMatchObject({
      action: "SECRET_LEAK_BLOCKED",
      entryName: "ENV_SECRET_3",
      agentName: "leaky-bot",
    });
    expect(JSON.parse(events[0]?.details ?? "{}")).toMatchObject({
      upstreamHost: new URL(a.mock.url).host,
      method: "POST",
      path: "/v1/chat",
      through: "API_KEY",
    });
    expect(findMarkers(JSON.stringify(events), a.values)).toEqual([]);
  });

  it("names every secret a request carries", async () => {
    const a = await agentWith("block");
    const response = await a.send("/chat", JSON.stringify({ a: a.values[0], b: a.values[1] }));
    expect(response.status).toBe(403);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toContain("the value of ENV_SECRET_0");
    expect(error.message).toContain("the value of ENV_SECRET_1");
    expect((await a.events()).map((event) => event.entryName).sort()).toEqual(["ENV_SECRET_0", "ENV_SECRET_1"]);
  });

  it("passes 10 MB of clean text, variables and the brokered key's own placeholder with no false alarm", async () => {
    const a = await agentWith("block");
    const words = "The agent considers the request, base64 aGVsbG8=, 0123456789abcdef, and answers. ";
    const clean = words.repeat(Math.ceil((10 * 1024 * 1024) / words.length));
    const response = await a.send("/chat", clean);
    expect(response.status).toBe(200);
    expect(a.mock.received[0]?.body.length).toBe(clean.length);
    // A variable is configuration, not a secret: not looked for.
    const withVariable = await a.send("/chat", JSON.stringify({ region: a.env.REGION }));
    expect(withVariable.status).toBe(200);
    expect(await a.events()).toEqual([]);
  });

  it("refuses a body over 32 MB, which it cannot hold to look through, with 413", async () => {
    const a = await agentWith("block");
    const response = await a.send("/upload", "x".repeat(33 * 1024 * 1024));
    expect(response.status).toBe(413);
    const { error } = (await response.json()) as { error: { type: string; message: string } };
    expect(error.type).toBe("agent_vault_request_too_large");
    expect(error.message).toContain("Under the leak policy block");
    expect(a.mock.received).toEqual([]);
  });

  it("tells secretLeaked subscribers, live, with the secret's name and the host, never the value", async () => {
    const a = await agentWith("block");
    const client = createVaultClient({ url: `${a.served.origin}/graphql`, token: a.user.token });
    let connected!: () => void;
    const listening = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const notices = client.secretLeaked({ agentId: a.agent.id }, { connected });
    const received: LeakNotice[] = [];
    const reading = (async () => {
      for await (const notice of notices) {
        received.push(notice);
        break;
      }
    })();
    await listening;
    expect((await a.send("/chat", JSON.stringify({ content: a.values[5] }))).status).toBe(403);
    await reading;
    expect(received[0]).toMatchObject({
      outcome: "BLOCKED",
      secretName: "ENV_SECRET_5",
      upstreamHost: new URL(a.mock.url).host,
      brokeredSecretName: "API_KEY",
      agent: { id: a.agent.id, name: "leaky-bot" },
    });
    expect(findMarkers(JSON.stringify(received), a.values)).toEqual([]);
  });
});

describe("the leak tripwire, policy redact", () => {
  it("forwards the request with each form of the value replaced by the marker, and records it", async () => {
    const a = await agentWith("redact");
    const value = a.values[7] as string;
    const forms = prompts(value);
    for (const [form, body] of Object.entries(forms)) {
      const response = await a.send("/chat", body);
      expect(response.status, form).toBe(200);
      await response.arrayBuffer();
    }
    const half = Math.floor(value.length / 2);
    expect(
      await sendSplit(
        `${a.env.API_BASE_URL}/chat`,
        a.env.API_KEY as string,
        `prompt ${value.slice(0, half)}`,
        `${value.slice(half)} end`,
      ),
    ).toBe(200);
    const inQuery = await a.send(`/search?q=${encodeURIComponent(value)}&page=2`, null, { "x-debug": value });
    expect(inQuery.status).toBe(200);
    const received = a.mock.received;
    expect(received).toHaveLength(Object.keys(forms).length + 2);
    for (const [i, one] of received.entries())
      expect(findMarkers(JSON.stringify(one), [value]), `${i} ${JSON.stringify(one)}`).toEqual([]);
    expect(received[0]?.body).toContain(REDACTED);
    expect(received[Object.keys(forms).length]?.body).toBe(`prompt ${REDACTED} end`);
    const last = received.at(-1);
    expect(last?.url).toBe(`/v1/search?q=${encodeURIComponent(REDACTED)}&page=2`);
    expect(last?.headers["x-debug"]).toBe(REDACTED);
    // The upstream still gets the brokered key; the body streams on, its length no longer the agent's.
    expect(received[0]?.headers.authorization).toMatch(/^Bearer sk-brokered_/);
    expect(received[0]?.headers["content-length"]).toBeUndefined();
    expect(received[0]?.headers["transfer-encoding"]).toBe("chunked");

    await expect.poll(async () => (await a.events()).length).toBe(received.length);
    const events = await a.events();
    expect(new Set(events.map((event) => event.action))).toEqual(new Set(["SECRET_LEAK_REDACTED"]));
    expect(findMarkers(JSON.stringify(events), a.values)).toEqual([]);
  });
});

describe("the leak tripwire, policies record and off", () => {
  it("record: forwards the request as it is and records it", async () => {
    const a = await agentWith("record");
    const body = JSON.stringify({ content: a.values[2] });
    expect((await a.send("/chat", body)).status).toBe(200);
    expect(a.mock.received[0]?.body).toBe(body);
    await expect.poll(async () => (await a.events()).map((event) => event.action)).toEqual(["SECRET_LEAK_SEEN"]);
  });

  it("off: looks for nothing", async () => {
    const a = await agentWith("off");
    const body = JSON.stringify({ content: a.values[2] });
    expect((await a.send("/chat", body)).status).toBe(200);
    expect(a.mock.received[0]?.body).toBe(body);
    expect(await a.events()).toEqual([]);
  });
});

describe("the values the tripwire looks for", () => {
  it("are held in memory only while the agent makes requests, and written nowhere", async () => {
    const a = await agentWith("block", 300);
    const leaks = a.vault.vault.services.leaks;
    expect(leaks.heldAgents()).toBe(0);
    expect((await a.send("/chat", JSON.stringify({ content: a.values[4] }))).status).toBe(403);
    expect(leaks.heldAgents()).toBe(1);
    await expect.poll(() => leaks.heldAgents(), { timeout: 5_000 }).toBe(0);
    // Found again once the agent sends again: opened anew from the database.
    expect((await a.send("/chat", JSON.stringify({ content: a.values[4] }))).status).toBe(403);
    expect(findMarkers(await a.vault.databaseBytes(), a.values)).toEqual([]);
  });
});

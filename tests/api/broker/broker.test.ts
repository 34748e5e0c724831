// Brokered secrets (docs/architecture.md rule 10): the agent holds a placeholder; the broker puts
// the real value into its requests to the secret's upstream, and nowhere else.
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ActivityDocument } from "../../../sdk/src/generated/graphql.ts";
import { upstreamSettings } from "../../../server/modules/broker/upstream.ts";
import { anthropicAnswer, listen, mockUpstream, openaiAnswer } from "../../helpers/mock-upstream.ts";
import { getAgent, nodes, ok, refused, request } from "../../helpers/operations.ts";
import { marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

/** A request's status, its path sent exactly as written. */
function rawStatus(origin: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${origin}${path}`, { headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.path = path;
    request.on("error", reject);
    request.end();
  });
}

/** What a server answers to raw bytes (the start of its answer, or "" when it closes without one). */
function rawExchange(origin: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.on("data", (chunk) => {
      answer += String(chunk);
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", () => resolve(answer));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

type Mock = Awaited<ReturnType<typeof mockUpstream>>;
type Served = Awaited<ReturnType<typeof listen>>;

let vault: TestVault;
let served: Served;
let mock: Mock;
let other: Mock;
let user: Awaited<ReturnType<TestVault["newUser"]>>;

async function brokeredAgent(value = marker("sk-real")) {
  const secret = await ok(user.gql, "addSecret", {
    name: `EXAMPLE_KEY_${marker("N").slice(2, 10)}`,
    value,
    delivery: "BROKERED",
    upstream: {
      baseUrl: `${mock.url}/v1`,
      header: "Authorization",
      template: "Bearer {value}",
      baseUrlVariable: "EXAMPLE_BASE_URL",
    },
  });
  const agent = await ok(user.gql, "createAgent", { name: marker("agent"), entryIds: [secret.id] });
  const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
  const env = await served.environment(token);
  return { secret, agent, token, env, value, placeholder: env[secret.name] as string };
}

beforeEach(async () => {
  mock = await mockUpstream();
  other = await mockUpstream();
  vault = await startTestVault({
    upstreams: {
      ...upstreamSettings({
        AGENT_VAULT_ANTHROPIC_URL: mock.url,
        AGENT_VAULT_OPENAI_URL: `${mock.url}/v1`,
      }),
      allowPrivate: true,
    },
  });
  served = await listen(vault);
  user = await vault.newUser("broker");
});

afterEach(async () => {
  await served.close();
  await vault.close();
  await mock.close();
  await other.close();
});

describe("a brokered secret", () => {
  it("gives the agent a placeholder and the broker's address, and the upstream the real value", async () => {
    const { secret, env, value, placeholder } = await brokeredAgent();
    expect(placeholder).toMatch(/^avb_[0-9A-Za-z]{38}$/);
    expect(env.EXAMPLE_BASE_URL).toBe(`${served.origin}/broker/${secret.id}`);
    expect(JSON.stringify(env)).not.toContain(value);

    const response = await fetch(`${env.EXAMPLE_BASE_URL}/chat/completions?stream=false`, {
      method: "POST",
      headers: { authorization: `Bearer ${placeholder}`, "content-type": "application/json" },
      body: JSON.stringify({ hello: "world" }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(value);
    const [received] = mock.received;
    expect(received?.url).toBe("/v1/chat/completions?stream=false");
    expect(received?.headers.authorization).toBe(`Bearer ${value}`);
    expect(received?.body).toBe(JSON.stringify({ hello: "world" }));
    expect(JSON.stringify(received?.headers)).not.toContain(placeholder);
  });

  it("is recorded in the activity log per agent, secret and minute: counts and paths, never a query or a key", async () => {
    const { secret, agent, env, value, placeholder } = await brokeredAgent();
    for (const path of ["/models?secret-query=1", "/models", "/chat"]) {
      const response = await fetch(`${env.EXAMPLE_BASE_URL}${path}`, {
        headers: { authorization: `Bearer ${placeholder}` },
      });
      await response.text();
    }
    await vault.vault.services.broker.flush();
    const page = await request(user.gql, ActivityDocument, { filter: { actions: ["BROKER_REQUESTS"] } });
    const events = nodes(page.activity);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ entryName: secret.name, agentName: agent.name });
    const details = JSON.parse(events[0]?.details ?? "{}");
    expect(details).toMatchObject({ requests: 3, statuses: { "2xx": 3 }, paths: ["GET /v1/models", "GET /v1/chat"] });
    expect(JSON.stringify(events)).not.toContain("secret-query");
    expect(JSON.stringify(events)).not.toContain(value);
    expect(JSON.stringify(events)).not.toContain(placeholder);
  });

  it("shows its delivery and upstream, never its value", async () => {
    const { secret, value } = await brokeredAgent();
    expect(secret.delivery).toBe("BROKERED");
    expect(secret.upstream).toEqual({
      baseUrl: `${mock.url}/v1`,
      header: "authorization",
      template: "Bearer {value}",
      baseUrlVariable: "EXAMPLE_BASE_URL",
    });
    expect(JSON.stringify(secret)).not.toContain(value);
  });

  it("answers an unknown, another secret's, or a made-up placeholder 401 as JSON, forwarding nothing", async () => {
    const first = await brokeredAgent();
    const second = await brokeredAgent();
    for (const [url, key] of [
      [first.env.EXAMPLE_BASE_URL, second.placeholder],
      [first.env.EXAMPLE_BASE_URL, "avb_0000000000000000000000000000000000000"],
      [first.env.EXAMPLE_BASE_URL, "sk-not-a-placeholder"],
    ] as const) {
      const response = await fetch(`${url}/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toMatch(/^agent_vault_/);
      expect(JSON.stringify(body)).not.toContain(key);
    }
    expect(mock.received).toHaveLength(0);
  });

  it("takes its placeholder only in the secret's header", async () => {
    const { env, placeholder } = await brokeredAgent();
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/models`, { headers: { "x-token": placeholder } });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe(
      "agent_vault_misplaced_placeholder",
    );
    expect(mock.received).toHaveLength(0);
  });

  it("goes only to its upstream's origin, below its base path", async () => {
    const { env, placeholder } = await brokeredAgent();
    const headers = { authorization: `Bearer ${placeholder}` };
    // Sent as written (fetch would resolve the dots itself).
    const { pathname } = new URL(env.EXAMPLE_BASE_URL as string);
    for (const path of ["/../admin", "/%2e%2e/admin", "/a/%2F..%2Fadmin", "/..%5cadmin", "/./x", "/a\\..\\b"]) {
      expect(await rawStatus(served.origin, `${pathname}${path}`, headers), path).toBe(400);
    }
    // An absolute URL, or a Host header of the agent's choosing, changes nothing of where it goes.
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/models`, {
      headers: { ...headers, "x-forwarded-host": new URL(other.url).host },
    });
    expect(response.status).toBe(200);
    expect(other.received).toHaveLength(0);
    expect(mock.received.map((request) => request.url)).toEqual(["/v1/models"]);
  });

  it("takes no absolute-form or CONNECT request: the agent cannot choose the host", async () => {
    const { secret, placeholder } = await brokeredAgent();
    const { host, port } = new URL(served.origin);
    const target = new URL(other.url);
    for (const head of [
      `GET ${other.url}/broker/${secret.id}/models HTTP/1.1\r\nHost: ${target.host}`,
      `GET http://${host}:${port}/broker/${secret.id}/models HTTP/1.1\r\nHost: ${target.host}`,
      `CONNECT ${target.host} HTTP/1.1\r\nHost: ${target.host}`,
    ]) {
      const answer = await rawExchange(
        served.origin,
        `${head}\r\nAuthorization: Bearer ${placeholder}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer, head).not.toMatch(/^HTTP\/1\.1 200/);
    }
    expect(other.received).toHaveLength(0);
    expect(mock.received).toHaveLength(0);
  });

  it("gives agents the operator's public address for the broker when it is set", async () => {
    const behind = await startTestVault({
      publicUrl: "https://vault.example.com/",
      upstreams: { ...upstreamSettings({}), allowPrivate: true },
    });
    const listening = await listen(behind);
    try {
      const owner = await behind.newUser("public");
      const secret = await ok(owner.gql, "addSecret", {
        name: "PUBLIC_KEY",
        value: marker("v"),
        delivery: "BROKERED",
        upstream: { baseUrl: `${mock.url}/v1`, baseUrlVariable: "PUBLIC_BASE_URL" },
      });
      const agent = await ok(owner.gql, "createAgent", { name: "behind-proxy", entryIds: [secret.id] });
      const { token } = await ok(owner.gql, "createRuntimeToken", { agentId: agent.id });
      expect((await listening.environment(token)).PUBLIC_BASE_URL).toBe(
        `https://vault.example.com/broker/${secret.id}`,
      );
    } finally {
      await listening.close();
      await behind.close();
    }
  });

  it("does not follow a redirect to another host", async () => {
    await mock.close();
    mock = await mockUpstream((_request, res) => {
      res.writeHead(307, { location: `${other.url}/steal` });
      res.end();
    });
    const { secret, env, placeholder } = await brokeredAgent();
    expect(secret.upstream?.baseUrl).toBe(`${mock.url}/v1`);
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/models`, {
      headers: { authorization: `Bearer ${placeholder}` },
      redirect: "manual",
    });
    expect(response.status).toBe(307);
    expect(other.received).toHaveLength(0);
  });

  it("scrubs a value the upstream echoes, in headers and in a body split across chunks", async () => {
    await mock.close();
    mock = await mockUpstream((request, res) => {
      const key = String(request.headers.authorization).replace("Bearer ", "");
      res.writeHead(200, { "content-type": "text/plain", "x-echo": key });
      const half = Math.floor(key.length / 2);
      res.write(`before ${key.slice(0, half)}`);
      setTimeout(() => res.end(`${key.slice(half)} after ${key}`), 30);
    });
    const { env, value, placeholder } = await brokeredAgent();
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/echo`, {
      headers: { authorization: `Bearer ${placeholder}` },
    });
    const text = await response.text();
    expect(text).toBe("before [redacted by agent-vault] after [redacted by agent-vault]");
    expect(response.headers.get("x-echo")).toBe("[redacted by agent-vault]");
    expect(text).not.toContain(value);
  });

  it("streams events frame by frame: the first arrives before the last is sent", async () => {
    let sentLast = 0;
    await mock.close();
    mock = await mockUpstream((_request, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let frame = 0;
      const timer = setInterval(() => {
        res.write(`data: ${JSON.stringify({ frame })}\n\n`);
        frame++;
        if (frame === 5) {
          clearInterval(timer);
          sentLast = Date.now();
          res.end();
        }
      }, 60);
    });
    const { env, placeholder } = await brokeredAgent();
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/stream`, {
      headers: { authorization: `Bearer ${placeholder}` },
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    const firstAt = Date.now();
    expect(new TextDecoder().decode(first.value)).toBe('data: {"frame":0}\n\n');
    let rest = "";
    for (let next = await reader.read(); !next.done; next = await reader.read())
      rest += new TextDecoder().decode(next.value);
    expect(rest).toContain('{"frame":4}');
    expect(firstAt).toBeLessThan(sentLast);
  });

  it("aborts the upstream request when the agent goes away", async () => {
    let closed: () => void = () => {};
    const upstreamClosed = new Promise<void>((resolve) => {
      closed = resolve;
    });
    await mock.close();
    mock = await mockUpstream((_request, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const timer = setInterval(() => res.write("data: tick\n\n"), 20);
      res.on("close", () => {
        clearInterval(timer);
        closed();
      });
    });
    const { env, placeholder } = await brokeredAgent();
    const controller = new AbortController();
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/stream`, {
      headers: { authorization: `Bearer ${placeholder}` },
      signal: controller.signal,
    });
    await (response.body as ReadableStream<Uint8Array>).getReader().read();
    controller.abort();
    await upstreamClosed;
  });

  it("uses a new value at the next request, with no restart", async () => {
    const { secret, agent, env, placeholder } = await brokeredAgent();
    const newValue = marker("sk-rotated");
    const updated = await ok(user.gql, "updateSecret", { id: secret.id, value: newValue });
    expect(updated.delivery).toBe("BROKERED");
    await fetch(`${env.EXAMPLE_BASE_URL}/models`, { headers: { authorization: `Bearer ${placeholder}` } });
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${newValue}`);
    const after = await getAgent(user.gql, agent.id);
    expect(after.restartRequired).toBe(false);
    expect(after.pendingChanges).toEqual([]);
  });

  it("keeps its upstream when an import overwrites it, and uses the imported value with no restart", async () => {
    const { secret, agent, env, placeholder } = await brokeredAgent();
    const imported = marker("sk-imported");
    await ok(user.gql, "importEnv", { content: `${secret.name}=${imported}\n`, onConflict: "OVERWRITE" });
    await fetch(`${env.EXAMPLE_BASE_URL}/models`, { headers: { authorization: `Bearer ${placeholder}` } });
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${imported}`);
    expect((await getAgent(user.gql, agent.id)).restartRequired).toBe(false);
  });

  it("stops its placeholder at once when detached, deleted, unbrokered, or its runtime token revoked", async () => {
    const call = (env: Record<string, string>, placeholder: string) =>
      fetch(`${env.EXAMPLE_BASE_URL}/models`, { headers: { authorization: `Bearer ${placeholder}` } });

    const detached = await brokeredAgent();
    expect((await call(detached.env, detached.placeholder)).status).toBe(200);
    await ok(user.gql, "detachEntries", { agentId: detached.agent.id, entryIds: [detached.secret.id] });
    expect((await call(detached.env, detached.placeholder)).status).toBe(401);

    const revoked = await brokeredAgent();
    const tokens = await vault.vault.db.runtimeToken.findMany({ where: { agentId: revoked.agent.id } });
    await ok(user.gql, "revokeRuntimeToken", { id: (tokens[0] as { id: string }).id });
    expect((await call(revoked.env, revoked.placeholder)).status).toBe(401);

    const deleted = await brokeredAgent();
    await ok(user.gql, "deleteAgent", { agentId: deleted.agent.id });
    expect((await call(deleted.env, deleted.placeholder)).status).toBe(401);

    const moved = await brokeredAgent();
    await ok(user.gql, "updateSecret", { id: moved.secret.id, value: marker("sk-env"), delivery: "ENVIRONMENT" });
    expect((await call(moved.env, moved.placeholder)).status).toBe(401);
    const agent = await getAgent(user.gql, moved.agent.id);
    expect(agent.pendingChanges).toEqual([{ name: moved.secret.name, change: "UPDATED" }]);
  });

  it("refuses to change where a value goes without the value", async () => {
    const { secret } = await brokeredAgent();
    const elsewhere = await refused(
      user.gql,
      "updateSecret",
      { id: secret.id, upstream: { baseUrl: `${other.url}/v1` } },
      "ValidationError",
    );
    expect(elsewhere.field).toBe("value");
    const out = await refused(user.gql, "updateSecret", { id: secret.id, delivery: "ENVIRONMENT" }, "ValidationError");
    expect(out.field).toBe("value");
    const plain = await ok(user.gql, "addSecret", { name: "PLAIN_KEY", value: marker("plain") });
    const into = await refused(
      user.gql,
      "updateSecret",
      { id: plain.id, delivery: "BROKERED", upstream: { baseUrl: `${other.url}/v1` } },
      "ValidationError",
    );
    expect(into.field).toBe("value");
  });

  it("refuses a variable that would be brokered, and a brokered secret without an upstream", async () => {
    const noUpstream = await refused(
      user.gql,
      "addSecret",
      { name: "NO_UPSTREAM", value: "x", delivery: "BROKERED" },
      "ValidationError",
    );
    expect(noUpstream.field).toBe("upstream.baseUrl");
    const template = await refused(
      user.gql,
      "addSecret",
      { name: "BAD_TEMPLATE", value: "x", delivery: "BROKERED", upstream: { baseUrl: mock.url, template: "Bearer" } },
      "ValidationError",
    );
    expect(template.field).toBe("upstream.template");
  });
});

describe("a database writer without the master key", () => {
  it("cannot point a brokered value at another upstream", async () => {
    const { secret, env, placeholder } = await brokeredAgent();
    const redirected = JSON.stringify({ ...secret.upstream, baseUrl: `${other.url}/v1` });
    await vault.asWriter((db) => db.entry.update({ where: { id: secret.id }, data: { upstream: redirected } }));
    const response = await fetch(`${env.EXAMPLE_BASE_URL}/models`, {
      headers: { authorization: `Bearer ${placeholder}` },
    });
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { type: string } }).error.type).toBe("agent_vault_value_unreadable");
    expect(other.received).toHaveLength(0);
    expect(mock.received).toHaveLength(0);
  });

  it("cannot turn a brokered secret into one delivered in the environment", async () => {
    const { secret, token } = await brokeredAgent();
    await vault.asWriter((db) => db.entry.update({ where: { id: secret.id }, data: { upstream: null } }));
    await expect(served.environment(token)).rejects.toThrow(/500/);
  });

  it("cannot move a placeholder to another secret of the same agent", async () => {
    const first = await brokeredAgent();
    const second = await ok(user.gql, "addSecret", {
      name: "SECOND_KEY",
      value: marker("second"),
      delivery: "BROKERED",
      upstream: { baseUrl: `${other.url}/v1` },
    });
    await ok(user.gql, "attachEntries", { agentId: first.agent.id, entryIds: [second.id] });
    await vault.asWriter((db) =>
      db.brokerPlaceholder.updateMany({ where: { entryId: first.secret.id }, data: { entryId: second.id } }),
    );
    const response = await fetch(`${served.origin}/broker/${second.id}/models`, {
      headers: { authorization: `Bearer ${first.placeholder}` },
    });
    expect(response.status).toBe(401);
    expect(other.received).toHaveLength(0);
  });
});

describe("upstream rules, as the operator leaves them", () => {
  let strict: TestVault;

  it("refuses a non-https or private upstream unless the operator allows it", async () => {
    strict = await startTestVault({ upstreams: upstreamSettings({}) });
    try {
      const owner = await strict.newUser("strict");
      for (const baseUrl of [
        "http://api.example.com/v1",
        "https://127.0.0.1/v1",
        "https://10.0.0.8",
        "https://169.254.169.254/latest",
        "https://[::1]/",
        "https://localhost:8443",
        "https://user:pass@api.example.com",
        "not a url",
      ]) {
        const error = await refused(
          owner.gql,
          "addSecret",
          { name: "REFUSED_UPSTREAM", value: "x", delivery: "BROKERED", upstream: { baseUrl } },
          "ValidationError",
        );
        expect(error.field, baseUrl).toBe("upstream.baseUrl");
      }
      const fine = await ok(owner.gql, "addSecret", {
        name: "PUBLIC_UPSTREAM",
        value: "x",
        delivery: "BROKERED",
        upstream: { baseUrl: "https://api.example.com/v1/" },
      });
      expect(fine.upstream?.baseUrl).toBe("https://api.example.com/v1");
    } finally {
      await strict.close();
    }
  });
});

describe("brokered AI provider keys, through the providers' official SDKs", () => {
  it("Anthropic: messages, streamed and not, reach the upstream with the real key", async () => {
    await mock.close();
    mock = await mockUpstream(anthropicAnswer("Hello", ["Hel", "lo"]));
    vault.vault.services.broker.upstreams.providers.ANTHROPIC.baseUrl = mock.url;
    const key = marker("sk-ant-api03");
    await ok(user.gql, "connectAiProvider", { provider: "ANTHROPIC", credential: key, delivery: "BROKERED" });
    const cards = await vault.vault.services.providers.cards({ userId: user.id } as never);
    const secretId = cards.find((card) => card.provider === "ANTHROPIC")?.secret?.id as string;
    const agent = await ok(user.gql, "createAgent", { name: "claude-agent", entryIds: [secretId] });
    const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
    const env = await served.environment(token);
    expect(env.ANTHROPIC_API_KEY).toMatch(/^avb_/);
    expect(env.ANTHROPIC_BASE_URL).toBe(`${served.origin}/broker/${secretId}`);

    const client = new Anthropic({ apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL, maxRetries: 0 });
    const message = await client.messages.create({
      model: "claude-test",
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(message.content).toEqual([{ type: "text", text: "Hello" }]);
    const stream = client.messages.stream({
      model: "claude-test",
      max_tokens: 10,
      messages: [{ role: "user", content: "Hi" }],
    });
    const texts: string[] = [];
    stream.on("text", (text) => texts.push(text));
    await stream.finalMessage();
    expect(texts.join("")).toBe("Hello");
    expect(mock.received).toHaveLength(2);
    for (const request of mock.received) {
      expect(request.url).toBe("/v1/messages");
      // In whichever header the SDK put its key (x-api-key, or Authorization: Bearer).
      const sent = request.headers["x-api-key"] ?? String(request.headers.authorization).replace(/^Bearer /, "");
      expect(sent).toBe(key);
    }
  });

  it("OpenAI: chat completions, streamed and not, reach the upstream with the real key", async () => {
    await mock.close();
    mock = await mockUpstream(openaiAnswer("Hello", ["Hel", "lo"]));
    vault.vault.services.broker.upstreams.providers.OPENAI.baseUrl = `${mock.url}/v1`;
    const key = marker("sk-proj");
    await ok(user.gql, "connectAiProvider", { provider: "OPENAI", credential: key, delivery: "BROKERED" });
    const cards = await vault.vault.services.providers.cards({ userId: user.id } as never);
    const card = cards.find((one) => one.provider === "OPENAI");
    expect(card?.secret?.upstream).toBeTruthy();
    const agent = await ok(user.gql, "createAgent", { name: "gpt-agent", entryIds: [card?.secret?.id as string] });
    const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
    const env = await served.environment(token);
    expect(env.OPENAI_BASE_URL).toBe(`${served.origin}/broker/${card?.secret?.id}`);

    const client = new OpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Hello");
    const stream = await client.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello");
    for (const request of mock.received) {
      expect(request.url).toBe("/v1/chat/completions");
      expect(request.headers.authorization).toBe(`Bearer ${key}`);
    }
  });
});

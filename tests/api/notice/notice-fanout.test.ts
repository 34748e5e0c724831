// One restart-needed notice to many subscribers, whose results the vault shares among those with
// the same operation: each still gets exactly the shape and filter its own operation asked for.

import { createVaultClient, type VaultClient } from "@agent-vault/sdk";
import { createClient, type ExecutionResult } from "graphql-sse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../server/app.ts";
import { eventually } from "../../helpers/processes.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let vault: VaultClient;
let token: string;

beforeAll(async () => {
  t = await startTestVault();
  token = (await t.newUser("watcher")).token;
  vault = createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });
});
afterAll(() => t.close());

type Subscriber = { results: ExecutionResult<Record<string, unknown>, unknown>[]; stop(): void };

function subscribe(query: string, variables?: Record<string, unknown>): Subscriber {
  const client = createClient({
    url: "http://vault.test/graphql",
    headers: { authorization: `Bearer ${token}` },
    fetchFn: t.vault.yoga.fetch,
    retryAttempts: 0,
  });
  const results: Subscriber["results"] = [];
  const stop = client.subscribe<Record<string, unknown>>(
    { query, variables },
    { next: (result) => void results.push(result), error: () => {}, complete: () => {} },
  );
  return {
    results,
    stop: () => {
      stop();
      client.dispose();
    },
  };
}

/** Changes a secret until every subscriber has had a notice: then all of them are listening. */
async function untilListening(subscribers: Subscriber[], secretId: string) {
  let round = 0;
  await eventually(async () => {
    await vault.updateSecret({ id: secretId, value: `warm-up-${round++}` });
    return subscribers.every((s) => s.results.length > 0);
  }, "every subscriber to listen");
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (const subscriber of subscribers) subscriber.results.length = 0;
}

describe("restart-needed notices to many subscribers", () => {
  it("give every subscriber the fields, aliases and filter of its own operation", async () => {
    const key = await vault.addSecret({ name: "SHAPE_KEY", value: "v0" });
    const used = await vault.createAgent({ name: "shape-used", entryIds: [key.id] });
    const other = await vault.createAgent({ name: "shape-other" });
    const plain = subscribe("subscription { restartNeeded { entryName change } }");
    const aliased = subscribe("subscription { notice: restartNeeded { name: entryName agent { name } } }");
    const byVariable = subscribe("subscription ($id: ID) { restartNeeded(agentId: $id) { agentId } }", {
      id: used.id,
    });
    const elsewhere = subscribe(`subscription { restartNeeded(agentId: "${other.id}") { agentId } }`);
    const elsewhereByVariable = subscribe("subscription ($id: ID) { restartNeeded(agentId: $id) { agentId } }", {
      id: other.id,
    });
    const all = [plain, aliased, byVariable, elsewhere, elsewhereByVariable];
    try {
      await untilListening([plain, aliased, byVariable], key.id);
      await vault.updateSecret({ id: key.id, value: "v1" });
      await eventually(
        () => plain.results.length > 0 && aliased.results.length > 0 && byVariable.results.length > 0,
        "the notice",
      );
      expect(plain.results[0]).toEqual({ data: { restartNeeded: { entryName: "SHAPE_KEY", change: "UPDATED" } } });
      expect(aliased.results[0]).toEqual({ data: { notice: { name: "SHAPE_KEY", agent: { name: "shape-used" } } } });
      expect(byVariable.results[0]).toEqual({ data: { restartNeeded: { agentId: used.id } } });
      expect(elsewhere.results).toEqual([]);
      expect(elsewhereByVariable.results).toEqual([]);
    } finally {
      for (const subscriber of all) subscriber.stop();
    }
  });

  it("answer a subscription to an agent that is not the user's with NOT_FOUND, and end it", async () => {
    const stranger = await t.newUser("stranger");
    const theirs = await createVaultClient({
      url: "http://vault.test/graphql",
      token: stranger.token,
      fetch: t.vault.yoga.fetch as typeof fetch,
    }).createAgent({ name: "not-yours" });
    const missing = subscribe(`subscription { restartNeeded(agentId: "${theirs.id}") { agentId } }`);
    const unknown = subscribe('subscription { restartNeeded(agentId: "no-such-agent") { agentId } }');
    try {
      await eventually(() => missing.results.length > 0 && unknown.results.length > 0, "the answers");
      for (const { results } of [missing, unknown]) {
        expect(results).toHaveLength(1);
        expect(results[0]?.data).toBeUndefined();
        expect(results[0]?.errors?.[0]).toMatchObject({ extensions: { code: "NOT_FOUND" } });
      }
    } finally {
      missing.stop();
      unknown.stop();
    }
  });

  it("refuse variables that are not of their declared type, as any operation does", async () => {
    const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: "subscription ($id: ID) { restartNeeded(agentId: $id) { agentId } }",
        variables: { id: { not: "an id" } },
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Variable \\"$id\\" got invalid value');
  });

  it("stream over server-sent events as yoga writes them, and let go of a subscriber that leaves", async () => {
    const key = await vault.addSecret({ name: "WIRE_KEY", value: "v0" });
    await vault.createAgent({ name: "wire", entryIds: [key.id] });
    const open = async () => {
      const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "subscription { restartNeeded { entryName change } }" }),
      });
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const stream = {
        reader,
        text: "",
        async readUntil(needle: string) {
          while (!stream.text.includes(needle)) {
            const { value, done } = await reader.read();
            if (done) throw new Error("the stream ended");
            stream.text += Buffer.from(value).toString("utf8");
          }
        },
      };
      return stream;
    };
    const staying = await open();
    const leaving = await open();
    await staying.readUntil(":\n\n");
    await leaving.readUntil(":\n\n");
    // The client goes away (in a server, its socket closes): its stream ends, the others go on.
    await leaving.reader.cancel();

    let round = 0;
    await eventually(async () => {
      await vault.updateSecret({ id: key.id, value: `v${++round}` });
      await staying.readUntil("event: next");
      return true;
    }, "a notice to the subscriber that stayed");
    expect(staying.text).toContain(
      'event: next\ndata: {"data":{"restartNeeded":{"entryName":"WIRE_KEY","change":"UPDATED"}}}\n\n',
    );
    await staying.reader.cancel();
  });
});

describe("the shared path and yoga's own", () => {
  /** The raw bytes of a server-sent-event subscription, as they arrive. */
  async function rawStream(app: { fetch: typeof fetch }, query: string, bearer: string) {
    const response = await app.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ query }),
    });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const state = { text: "", done: false, headers: response.headers };
    void (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done) break;
        state.text += decoder.decode(value, { stream: true });
      }
      state.done = true;
    })();
    return { state, stop: () => reader.cancel().catch(() => {}) };
  }

  it("write every subscription's events byte for byte as yoga does, its end and its errors included", async () => {
    // Two apps on one vault: the same events reach both, one through the shared path.
    const plain = createApp(t.vault, { sharedSubscriptions: false });
    const { token: mine } = await t.newUser("bytes");
    const client = createVaultClient({
      url: "http://vault.test/graphql",
      token: mine,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const key = await client.addSecret({ name: "BYTES_KEY", value: "v0" });
    await client.createAgent({ name: "bytes-bot", entryIds: [key.id] });
    const short = await client.createApiToken({ name: "short" });
    const operations = [
      "subscription { restartNeeded { entryName change automatic agent { name restartRequired } } }",
      "subscription { activityAdded { action entryName actor { kind name } details } }",
      "subscription ($a: ID) { restartNeeded(agentId: $a) { __typename agentId } }",
      'subscription { restartNeeded(agentId: "not-an-agent") { agentId } }',
      "subscription { providerStatusChanged { provider } }",
    ];
    const pairs = await Promise.all(
      operations.map(async (query) => [
        await rawStream(t.vault.yoga as unknown as { fetch: typeof fetch }, query, short.token),
        await rawStream(plain as unknown as { fetch: typeof fetch }, query, short.token),
      ]),
    );
    try {
      // Every stream listening: a notice and an event reach them all.
      let round = 0;
      await eventually(async () => {
        await client.updateSecret({ id: key.id, value: `v${++round}` });
        return pairs
          .slice(0, 2)
          .every(([a, b]) => a?.state.text.includes("event: next") && b?.state.text.includes("event: next"));
      }, "both paths to deliver");
      await client.updateSecret({ id: key.id, value: "last" });
      await new Promise((resolve) => setTimeout(resolve, 200));
      // The token revoked: every stream ends with the same error.
      await client.revokeApiToken({ id: short.apiToken.id });
      await eventually(() => pairs.every(([a, b]) => a?.state.done && b?.state.done), "every stream to end");
      const withoutPings = (text: string) => text.replace(/^:\n\n/gm, "");
      for (const [i, [shared, own]] of pairs.entries()) {
        expect(withoutPings(shared?.state.text ?? ""), operations[i]).toBe(withoutPings(own?.state.text ?? ""));
        expect(shared?.state.headers.get("content-type")).toBe(own?.state.headers.get("content-type"));
      }
      expect(pairs[0]?.[0]?.state.text).toContain('"entryName":"BYTES_KEY"');
      expect(pairs[3]?.[0]?.state.text).toContain("NOT_FOUND");
      expect(pairs[0]?.[0]?.state.text).toContain("UNAUTHENTICATED");
    } finally {
      for (const [a, b] of pairs) {
        await a?.stop();
        await b?.stop();
      }
    }
  });
});

// The findings of the outside attack (issue 17), each replayed as the attacker ran it, and each
// now failing for the attacker. Numbers are the findings'.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRuntimeClient, createVaultClient, type TokenScope, type VaultError } from "@agent-vault/sdk";
import dotenv from "dotenv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { RESERVED } from "../../../server/modules/entry/reserved-names.ts";
import { directSql } from "../../helpers/database.ts";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { collect } from "../../helpers/notices.ts";
import {
  entryByName,
  getAgentRuntimeTokens,
  getEntry,
  listEntries,
  type MutationInput,
  type MutationName,
  mutate,
  ok,
  refused,
} from "../../helpers/operations.ts";
import { eventually } from "../../helpers/processes.ts";
import { marker, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
const masterKeys = parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY");

beforeAll(async () => {
  t = await startTestVault({ masterKeys, streamRecheckMs: 200, rateLimits: { failedAuthPerMinute: 30 } });
});
afterAll(() => t.close());

const sdkFor = (token: string) =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });

async function scopedToken(
  gql: TestVault["client"] extends (token: string) => infer G ? G : never,
  scopes: TokenScope[],
) {
  return (await ok(gql, "createApiToken", { name: scopes.join("+"), scopes })).token;
}

describe("1. a token reads only what its scopes allow", () => {
  it("with only ENTRIES_WRITE: adds and updates secrets, and learns nothing about any value", async () => {
    const owner = await t.newUser("writer-owner");
    const value = marker("SCOPED");
    const target = await ok(owner.gql, "addSecret", { name: "TARGET", value });
    const agent = await ok(owner.gql, "createAgent", { name: "bot", entryIds: [target.id] });
    const writer = t.client(await scopedToken(owner.gql, ["ENTRIES_WRITE"]));

    const added = await ok(writer, "addSecret", { name: "WRITTEN", value: "first" });
    expect((await ok(writer, "updateSecret", { id: added.id, value: "second" })).version).toBe(2);

    const forbidden = async <F extends MutationName>(field: F, input: MutationInput<F>, scope: string) => {
      const result = await refused(writer, field, input, "ForbiddenError");
      expect(result.message).toContain(scope);
    };
    await forbidden("createAgent", { name: "thief", entryIds: [target.id] }, "AGENTS_WRITE");
    await forbidden("attachEntries", { agentId: agent.id, entryIds: [added.id] }, "AGENTS_WRITE");
    await forbidden("createRuntimeToken", { agentId: agent.id }, "RUNTIME_ISSUE");
    await forbidden("verifySecret", { id: target.id, value }, "ENTRIES_READ");
    await forbidden("addSecret", { name: "ATTACHED", value: "x", agentIds: [agent.id] }, "AGENTS_WRITE");
    const listing = await writer("{ entries { edges { node { name fingerprint } } } }");
    expect(listing.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", scope: "ENTRIES_READ" });

    // An import plan tells a secret matching the file from one that does not by nothing.
    const plan = async (candidate: string, onConflict: "SKIP" | "OVERWRITE" | "FAIL") =>
      ok(writer, "importEnv", { content: `TARGET=${candidate}`, dryRun: true, onConflict });
    for (const policy of ["SKIP", "OVERWRITE", "FAIL"] as const) {
      expect(await plan(value, policy)).toEqual(await plan("wrong-guess", policy));
    }
    // A candidate written to an entry of one's own gets a fingerprint unrelated to the target's.
    const candidate = await ok(writer, "addSecret", { name: "CANDIDATE", value });
    const targetFingerprint = (await getEntry(owner.gql, target.id)).fingerprint;
    expect(candidate.fingerprint).not.toBe(targetFingerprint);
    const variable = await ok(writer, "addVariable", { name: "CANDIDATE_VAR", value });
    expect(variable.fingerprint).not.toBe(targetFingerprint);
    // It reads back the variable it wrote, and no other value.
    expect(variable.value).toBe(value);
  });

  it("with everything but RUNTIME_ISSUE: attaches, but mints no runtime token", async () => {
    const owner = await t.newUser("no-runtime");
    const secret = await ok(owner.gql, "addSecret", { name: "HELD", value: "v" });
    const all = [
      "ENTRIES_READ",
      "ENTRIES_WRITE",
      "ENTRIES_DELETE",
      "AGENTS_READ",
      "AGENTS_WRITE",
      "TOKENS_MANAGE",
    ] as const;
    const gql = t.client(await scopedToken(owner.gql, [...all, "PROVIDERS_MANAGE", "ACTIVITY_READ"]));
    const agent = await ok(gql, "createAgent", { name: "thief", entryIds: [secret.id] });
    const minted = await mutate(gql, "createRuntimeToken", { agentId: agent.id });
    expect(minted).toMatchObject({ __typename: "ForbiddenError" });
    // Nor a token with the scope it lacks.
    const wider = await mutate(gql, "createApiToken", { name: "wider", scopes: ["RUNTIME_ISSUE"] });
    expect(wider).toMatchObject({ __typename: "ForbiddenError" });
  });
});

describe("3. open streams re-check their token", () => {
  it("ends a revoked token's subscription when the revocation was made on another instance, without Redis", async () => {
    const owner = await t.newUser("streams");
    const secret = await ok(owner.gql, "addSecret", { name: "STREAMED", value: "1" });
    await ok(owner.gql, "createAgent", { name: "listener", entryIds: [secret.id] });
    const short = await ok(owner.gql, "createApiToken", { name: "short" });
    const stream = collect(sdkFor(short.token).restartNeeded());
    await ok(owner.gql, "updateSecret", { id: secret.id, value: "2" });
    await eventually(() => stream.notices.length > 0, "the first notice");

    // The other instance has no way to tell this one: only the re-check can end the stream.
    const other = await openVaultApp({ databaseUrl: t.databaseUrl, masterKeys, masterKeySource: "test" });
    try {
      await other.services.tokens.revoke(await viewerOf(owner.token), { id: short.apiToken.id });
    } finally {
      await other.close();
    }
    await eventually(() => stream.state.done, "the subscription to end", 5_000);
    expect((stream.state.error as VaultError).code).toBe("UNAUTHENTICATED");
  });

  it("ends a runtime's command stream at once when its token is revoked or its agent deleted, not at the next check", async () => {
    const slow = await startTestVault({ streamRecheckMs: 600_000 });
    try {
      const owner = await slow.newUser("runtime-ends");
      const agent = await ok(owner.gql, "createAgent", { name: "ending" });
      const other = await ok(owner.gql, "createAgent", { name: "ending-too" });
      const open = async (agentId: string) => {
        const token = (await ok(owner.gql, "createRuntimeToken", { agentId })).token as string;
        const runtime = createRuntimeClient({
          url: "http://vault.test/graphql",
          token,
          fetch: slow.vault.yoga.fetch as typeof fetch,
        });
        const state = { hello: false, done: false };
        void (async () => {
          try {
            for await (const event of runtime.commands()) if (event.type === "hello") state.hello = true;
          } catch {}
          state.done = true;
        })();
        await eventually(() => state.hello, "the command stream to open");
        return state;
      };
      const first = await open(agent.id);
      const second = await open(agent.id);
      const [revoked] = await getAgentRuntimeTokens(owner.gql, agent.id);
      await ok(owner.gql, "revokeRuntimeToken", { id: revoked?.id ?? "" });
      await eventually(() => first.done, "the revoked token's stream to end", 3_000);
      expect(second.done).toBe(false);
      await ok(owner.gql, "deleteAgent", { agentId: agent.id });
      await eventually(() => second.done, "the deleted agent's stream to end", 3_000);
      // Another agent's stream goes on.
      const third = await open(other.id);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(third.done).toBe(false);
    } finally {
      await slow.close();
    }
  });

  it("delivers no event to a token revoked since the last re-check", async () => {
    const slow = await startTestVault({ streamRecheckMs: 600_000 });
    try {
      const owner = await slow.newUser("before-each");
      const secret = await ok(owner.gql, "addSecret", { name: "GUARDED", value: "1" });
      await ok(owner.gql, "createAgent", { name: "guarded", entryIds: [secret.id] });
      const short = await ok(owner.gql, "createApiToken", { name: "short" });
      const sdk = createVaultClient({
        url: "http://vault.test/graphql",
        token: short.token,
        fetch: slow.vault.yoga.fetch as typeof fetch,
      });
      let connected = false;
      const stream = collect(sdk.restartNeeded({}, { connected: () => (connected = true) }));
      await eventually(() => connected, "the subscription to connect");
      const sql = await directSql(slow.databaseUrl);
      try {
        // Revoked with no event at all, as on an instance whose Redis is down.
        await sql.run('UPDATE "ApiToken" SET "revokedAt" = ? WHERE "id" = ?', [
          slow.databaseUrl.startsWith("file:") ? new Date().toISOString() : new Date(),
          short.apiToken.id,
        ]);
      } finally {
        await sql.close();
      }
      await ok(owner.gql, "updateSecret", { id: secret.id, value: "2" });
      await eventually(() => stream.state.done, "the subscription to end", 5_000);
      expect(stream.notices).toEqual([]);
    } finally {
      await slow.close();
    }
  });

  it("ends an agent's command stream when the agent is deleted elsewhere (11)", async () => {
    const owner = await t.newUser("commands");
    const agent = await ok(owner.gql, "createAgent", { name: "doomed" });
    const runtimeToken = (await ok(owner.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
    const runtime = createRuntimeClient({
      url: "http://vault.test/graphql",
      token: runtimeToken,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const events: string[] = [];
    const ended = (async () => {
      for await (const event of runtime.commands()) events.push(event.type);
    })();
    await eventually(() => events.includes("hello"), "the hello");
    const other = await openVaultApp({ databaseUrl: t.databaseUrl, masterKeys, masterKeySource: "test" });
    try {
      await other.services.agents.delete(await viewerOf(owner.token), { agentId: agent.id });
    } finally {
      await other.close();
    }
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error("still open")), 5_000))]);
  });
});

async function viewerOf(token: string) {
  return t.vault.services.authenticate.api({ authorization: `Bearer ${token}`, address: "test" });
}

describe("4. throttling never locks out a valid token", () => {
  it("serves valid API and runtime tokens from an address that failed 30 times", async () => {
    const owner = await t.newUser("shared-nat");
    const agent = await ok(owner.gql, "createAgent", { name: "natted" });
    const runtimeToken = (await ok(owner.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
    const proxied = await startTestVault({ trustedProxies: 1, rateLimits: { failedAuthPerMinute: 30 } });
    try {
      const user = await proxied.newUser("nat");
      const agentB = await ok(user.gql, "createAgent", { name: "natted" });
      const runtimeB = (await ok(user.gql, "createRuntimeToken", { agentId: agentB.id })).token as string;
      const from = (address: string, token: string, path = "/graphql") =>
        proxied.vault.yoga.fetch(`http://vault.test${path}`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-forwarded-for": address },
          body: JSON.stringify({ query: "{ viewer { id } }" }),
        });
      for (let i = 0; i < 31; i++) await from("203.0.113.9", "avt_guess");
      expect((await from("203.0.113.9", "avt_guess")).status).toBe(429);
      expect((await from("203.0.113.9", user.token)).status).toBe(200);
      expect((await from("203.0.113.9", runtimeB, "/runtime/environment")).status).toBe(200);

      // The client writes what it likes left of the proxy's entry: it is not the address counted.
      let refused = 0;
      for (let i = 0; i < 300 && refused === 0; i++) {
        const response = await from(`10.0.${i >> 8}.${i & 255}, 198.51.100.4`, "avt_guess");
        if (response.status === 429) refused = i;
      }
      expect(refused).toBeGreaterThan(0);
      expect(refused).toBeLessThanOrEqual(31);
    } finally {
      await proxied.close();
    }
    expect(runtimeToken).toMatch(/^avr_/);
  });
});

describe("5 and 11. GraphQL over WebSocket", () => {
  let url: string;
  let close: () => Promise<void>;
  let token: string;

  beforeAll(async () => {
    const { attachWebSocket } = await import("../../../server/http/websocket.ts");
    const server = createServer(t.vault.yoga);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const sockets = attachWebSocket(server, t.vault.yoga, {
      maxFrameBytes: 64 * 1024,
      authenticate: t.vault.services.authenticate,
      addressOf: () => "127.0.0.1",
    });
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    token = (await t.newUser("sockets")).token;
    close = async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
  });
  afterAll(() => close());

  /** Opens a socket; resolves with the close code once it closes, or "open" after a moment. */
  async function exchange(frames: (string | Buffer)[], waitMs = 1_000) {
    const { WebSocket } = await import("ws");
    const socket = new WebSocket(url, "graphql-transport-ws");
    const received: string[] = [];
    socket.on("message", (data) => received.push(String(data)));
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    // The first frame, then (once answered) the rest: authentication completes in between.
    const [first, ...rest] = frames;
    if (first !== undefined) socket.send(first);
    if (rest.length > 0) {
      await new Promise((resolve) => {
        socket.once("message", resolve);
        socket.once("close", resolve);
      });
      for (const frame of rest) if (socket.readyState === socket.OPEN) socket.send(frame);
    }
    const code = await new Promise<number | "open">((resolve) => {
      socket.once("close", (closeCode) => resolve(closeCode));
      setTimeout(() => resolve("open"), waitMs);
    });
    socket.terminate();
    return { code, received };
  }
  const init = (authorization: string, padding = "") =>
    JSON.stringify({ type: "connection_init", payload: { authorization, padding } });

  it("closes a connection whose first frame is over a few KiB, before any authentication", async () => {
    const result = await exchange([init("Bearer nobody", "x".repeat(8 * 1024))]);
    expect(result.code).toBe(1009);
  });

  it("refuses a bad token at connection_init", async () => {
    const result = await exchange([init("Bearer avt_not_a_token")]);
    expect(result.code).toBe(4403);
  });

  it("bounds frames after authentication by the body limit", async () => {
    const big = JSON.stringify({
      id: "1",
      type: "subscribe",
      payload: { query: "{ viewer { id } }", variables: { padding: "x".repeat(80 * 1024) } },
    });
    const result = await exchange([init(`Bearer ${token}`), big]);
    expect(result.received[0]).toContain("connection_ack");
    expect(result.code).toBe(1009);
  });

  it("answers a subscription over the depth limit with an error, and keeps the socket open", async () => {
    const deep = `subscription { restartNeeded { agent { ${"entries { usedBy { ".repeat(6)} id ${"} } ".repeat(6)} } } }`;
    const result = await exchange(
      [
        init(`Bearer ${token}`),
        JSON.stringify({ id: "deep", type: "subscribe", payload: { query: deep } }),
        JSON.stringify({ id: "ok", type: "subscribe", payload: { query: "{ viewer { name } }" } }),
      ],
      1_500,
    );
    expect(result.code).toBe("open");
    expect(result.received.some((m) => m.includes('"type":"error"') && m.includes('"deep"'))).toBe(true);
    expect(result.received.some((m) => m.includes('"name":"sockets"'))).toBe(true);
  });
});

describe("7. the runtime channel masks unexpected errors", () => {
  it("answers an internal failure with a generic message, no SQL, path or stack", async () => {
    const broken = await startTestVault();
    try {
      const owner = await broken.newUser("broken");
      const agent = await ok(owner.gql, "createAgent", { name: "broken" });
      const runtimeToken = (await ok(owner.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
      const sql = await directSql(broken.databaseUrl);
      try {
        await sql.run('ALTER TABLE "Attachment" RENAME TO "AttachmentGone"');
      } finally {
        await sql.close();
      }
      const answer = await broken.vault.yoga.fetch("http://vault.test/runtime/environment", {
        method: "POST",
        headers: { authorization: `Bearer ${runtimeToken}` },
      });
      const text = await answer.text();
      expect(answer.status).toBe(500);
      expect(JSON.parse(text).error).toEqual({ code: "INTERNAL_SERVER_ERROR", message: "Unexpected error." });
      expect(text).not.toMatch(/Attachment|SELECT|at |\/work|node_modules|\.ts/);
    } finally {
      await broken.close();
    }
  });
});

describe("8. verifySecret is the only oracle, and it checks the ciphertext", () => {
  it("refuses to answer for a tampered ciphertext instead of saying true", async () => {
    const owner = await t.newUser("tampered");
    const value = marker("VERIFY");
    const secret = await ok(owner.gql, "addSecret", { name: "CHECKED", value });
    expect(await ok(owner.gql, "verifySecret", { id: secret.id, value })).toBe(true);
    const sql = await directSql(t.databaseUrl);
    try {
      const [row] = await sql.run('SELECT "ciphertext" FROM "Entry" WHERE "id" = ?', [secret.id]);
      const blob = Buffer.from(row?.ciphertext as Uint8Array);
      const at = blob.length - 1;
      blob.writeUInt8(blob.readUInt8(at) ^ 0x80, at);
      await sql.run('UPDATE "Entry" SET "ciphertext" = ? WHERE "id" = ?', [blob, secret.id]);
    } finally {
      await sql.close();
    }
    const answer = await owner.gql<{ verifySecret: unknown }>(
      "mutation($input: VerifySecretInput!) { verifySecret(input: $input) { __typename } }",
      {
        input: { id: secret.id, value },
      },
    );
    expect(answer.data?.verifySecret ?? null).toBeNull();
    expect(answer.errors?.[0]?.extensions?.code).toBe("VALUE_UNREADABLE");
    expect(findMarkers(answer.text, [value])).toEqual([]);
  });
});

describe("9. GraphiQL and CORS", () => {
  it("serves GraphiQL and its assets from the vault, with a CSP and its title, and nothing from a CDN", async () => {
    const page = await t.vault.yoga.fetch("http://vault.test/graphql", { headers: { accept: "text/html" } });
    const html = await page.text();
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src [^;]*'sha256-/);
    expect(csp).not.toMatch(/https?:/);
    expect(html).toContain("<title>Agent Vault</title>");
    expect(html).not.toContain("__TITLE__");
    expect(html).not.toMatch(/<script[^>]+src="https?:/);
    expect(html).not.toMatch(/<link[^>]+href="https?:/);
    // Its scripts are inline, each allowed by its hash in the CSP and by nothing else.
    const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts.filter((text) => text.trim())) {
      expect(csp).toContain(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
    }
  });

  it("sends no CORS headers unless the operator lists the origin", async () => {
    const ask = (app: { fetch: typeof fetch }, origin: string) =>
      app.fetch("http://vault.test/graphql", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
      });
    const closed = await ask(t.vault.yoga as never, "https://evil.example");
    expect(closed.headers.get("access-control-allow-origin")).toBeNull();
    expect(closed.headers.get("access-control-allow-credentials")).toBeNull();
    const listed = await startTestVault({ corsOrigins: ["https://console.example"] });
    try {
      const allowed = await ask(listed.vault.yoga as never, "https://console.example");
      expect(allowed.headers.get("access-control-allow-origin")).toBe("https://console.example");
      expect(allowed.headers.get("access-control-allow-credentials")).toBeNull();
      const other = await ask(listed.vault.yoga as never, "https://evil.example");
      expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    } finally {
      await listed.close();
    }
  });
});

describe("10. the OAuth issuer is the operator's", () => {
  it("refuses an issuer in a tenant's input, the same way whether anything listens there", async () => {
    let requests = 0;
    const listener = createServer((_request, response) => {
      requests++;
      response.end("{}");
    });
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    const open = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const owner = await t.newUser("issuer");
      const connect = (issuer: string) =>
        refused(
          owner.gql,
          "connectAiProvider",
          {
            provider: "OPENAI",
            method: "OAUTH",
            credential: "access-token",
            refreshToken: "refresh-token",
            issuer,
          },
          "ValidationError",
        );
      const toOpen = await connect(open);
      const toClosed = await connect("http://127.0.0.1:9");
      expect(toOpen.message).toBe(toClosed.message);
      expect(requests).toBe(0);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

describe("11. smaller findings", () => {
  it("delivers an entry named __proto__ like any other", async () => {
    const owner = await t.newUser("proto");
    const variable = await ok(owner.gql, "addVariable", { name: "__proto__", value: "kept" });
    const agent = await ok(owner.gql, "createAgent", { name: "proto", entryIds: [variable.id] });
    const runtimeToken = (await ok(owner.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
    const runtime = createRuntimeClient({
      url: "http://vault.test/graphql",
      token: runtimeToken,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const { environment } = await runtime.environment();
    expect(Object.keys(environment)).toEqual(["__proto__"]);
    expect(Object.getOwnPropertyDescriptor(environment, "__proto__")?.value).toBe("kept");
  });

  it("imports __proto__=1 like any other name, with other entries around it", async () => {
    const owner = await t.newUser("proto-import");
    const content = 'A=1\n__proto__=1\nexport __proto__x="two words"\nconstructor=3\n';
    const report = await ok(owner.gql, "importEnv", { content, kind: "VARIABLE" });
    expect(report.created).toEqual(["A", "__proto__", "__proto__x", "constructor"]);
    expect(await entryByName(owner.gql, "__proto__")).toMatchObject({ value: "1" });
    const multi = await ok(owner.gql, "importEnv", {
      content: '__proto__="line one\nline two"\n',
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    expect(multi.updated).toEqual(["__proto__"]);
    expect(await entryByName(owner.gql, "__proto__")).toMatchObject({ value: "line one\nline two" });
  });

  it("refuses interpreter and loader injection names, each group with its reason", async () => {
    const owner = await t.newUser("injector");
    const named = [
      "BASH_ENV",
      "ENV",
      "PYTHONPATH",
      "PYTHONSTARTUP",
      "PYTHONHOME",
      "PERL5OPT",
      "RUBYOPT",
      "JAVA_TOOL_OPTIONS",
      "NODE_EXTRA_CA_CERTS",
      "NODE_TLS_REJECT_UNAUTHORIZED",
      "GCONV_PATH",
      "IFS",
      "NODE_OPTIONS",
      "LD_PRELOAD",
      "DYLD_INSERT_LIBRARIES",
      // Shown to run a command inside an agent that calls git, and their kin.
      "GIT_CONFIG_COUNT",
      "GIT_CONFIG_KEY_0",
      "GIT_CONFIG_VALUE_0",
      "GIT_CONFIG_GLOBAL",
      "GIT_PAGER",
      "GIT_EDITOR",
      "GIT_PROXY_COMMAND",
      "GIT_EXTERNAL_DIFF",
      "PAGER",
      "EDITOR",
      "LESSOPEN",
      "LUA_INIT",
      "LUA_INIT_5_4",
      "DOTNET_STARTUP_HOOKS",
      "CORECLR_PROFILER_PATH",
      "PHPRC",
      "PHP_INI_SCAN_DIR",
      "ZDOTDIR",
      "SSLKEYLOGFILE",
      "XDG_CONFIG_HOME",
      "SSH_ASKPASS",
      "NODE_ICU_DATA",
      "BROWSER",
      "npm_config_script_shell",
      "PIP_INDEX_URL",
    ];
    const everyListed = RESERVED.flatMap((group) => group.names ?? []);
    for (const name of new Set([...named, ...everyListed])) {
      const result = await refused(owner.gql, "addVariable", { name, value: "x" }, "ValidationError");
      expect(result.message, name).toMatch(/refused: \w/);
    }
    for (const prefix of RESERVED.flatMap((group) => group.prefixes ?? [])) {
      expect((await mutate(owner.gql, "addVariable", { name: `${prefix}X`, value: "x" })).__typename).toBe(
        "ValidationError",
      );
    }
    // Configuration is not code: these stay allowed.
    for (const name of ["GIT_AUTHOR_NAME", "OPENAI_BASE_URL", "HTTPS_PROXY", "LOG_LEVEL", "NPM_TOKEN", "LUA_MODE"]) {
      expect((await mutate(owner.gql, "addVariable", { name, value: "x" })).__typename, name).toMatch(/Success$/);
    }
  });

  it("refuses the names the operator adds (AGENT_VAULT_REFUSED_NAMES), also in an import and at delivery", async () => {
    const owner = await t.newUser("operator-names");
    const secret = await ok(owner.gql, "addSecret", { name: "CORP_HOOK_CMD", value: "v" });
    const agent = await ok(owner.gql, "createAgent", { name: "corp", entryIds: [secret.id] });
    const runtimeToken = (await ok(owner.gql, "createRuntimeToken", { agentId: agent.id })).token;
    process.env.AGENT_VAULT_REFUSED_NAMES = " MY_TOOL_RC , corp_hook_* ";
    try {
      const byOperator = await refused(owner.gql, "addVariable", { name: "my_tool_rc", value: "x" }, "ValidationError");
      expect(byOperator.message).toContain(
        "MY_TOOL_RC is refused: the operator refuses it (AGENT_VAULT_REFUSED_NAMES)",
      );
      const prefixed = await refused(owner.gql, "addSecret", { name: "CORP_HOOK_X", value: "x" }, "ValidationError");
      expect(prefixed.message).toContain("Names starting CORP_HOOK_ are refused");
      const imported = await mutate(owner.gql, "importEnv", { content: "FINE=1\nMY_TOOL_RC=2\n", kind: "VARIABLE" });
      expect(imported.__typename).toBe("EnvParseError");
      // Already stored before the operator refused it: not delivered.
      const runtime = createRuntimeClient({
        url: "http://vault.test/graphql",
        token: runtimeToken,
        fetch: t.vault.yoga.fetch as typeof fetch,
      });
      await expect(runtime.environment()).rejects.toThrow(/CORP_HOOK_CMD/);
    } finally {
      delete process.env.AGENT_VAULT_REFUSED_NAMES;
    }
    expect((await mutate(owner.gql, "addVariable", { name: "MY_TOOL_RC", value: "x" })).__typename).toMatch(/Success$/);
  });

  it("quotes no string literal of a query it cannot parse", async () => {
    const secret = marker("INLINE");
    const owner = await t.newUser("typo");
    const answer = await owner.gql<{ verifySecret: unknown }>(
      `mutation { addSecret(input: { name: "X", value: "${secret}" }) { __typename `,
    );
    expect(answer.errors?.length).toBeGreaterThan(0);
    expect(findMarkers(answer.text, [secret])).toEqual([]);
  });

  it("refuses invalid UTF-8 in a request instead of replacing it", async () => {
    const owner = await t.newUser("bytes");
    const body = Buffer.concat([
      Buffer.from(
        '{"query":"mutation($v: String!) { addVariable(input: {name: \\"BYTES\\", value: $v}) { __typename } }","variables":{"v":"a',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('b"}}'),
    ]);
    const answer = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` },
      body,
    });
    expect([400, 200]).toContain(answer.status);
    expect(await answer.text()).toMatch(/UTF-8/);
    expect((await listEntries(owner.gql)).totalCount).toBe(0);
  });

  it('reads A="x\\\\" as dotenv does', async () => {
    const owner = await t.newUser("dotenv");
    const report = await ok(owner.gql, "importEnv", { content: 'A="x\\\\"\n', kind: "VARIABLE" });
    expect(report.created).toEqual(["A"]);
    // dotenv keeps both backslashes.
    expect(await entryByName(owner.gql, "A")).toMatchObject({ value: dotenv.parse('A="x\\\\"\n').A });
    expect(await entryByName(owner.gql, "A")).toMatchObject({ value: "x\\\\" });
  });

  it("takes bodies up to the documented 40 MiB limit, not yoga's default 25,000,000 bytes", async () => {
    const owner = await t.newUser("big");
    const padding = "x".repeat(26_000_000);
    const answer = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ query: "{ viewer { name } }", extensions: { padding } }),
    });
    const text = await answer.text();
    expect(answer.status, text.slice(0, 300)).toBe(200);
    expect(JSON.parse(text).data.viewer.name).toBe("big");
  });
});

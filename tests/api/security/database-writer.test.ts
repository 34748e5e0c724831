// Someone who can write the database but holds no key: every row they insert or change is
// refused, with the usual named errors, and no value comes out. Each case writes with plain SQL
// beside the running vault (better-sqlite3 on the SQLite file, pg on PostgreSQL).
import { randomBytes } from "node:crypto";
import path from "node:path";
import { createRuntimeClient } from "@agent-vault/sdk";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { type MasterKeyRing, parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { tokenDigest } from "../../../server/crypto/token-hash.ts";
import { generateToken } from "../../../server/crypto/tokens.ts";
import { UserKeyring } from "../../../server/crypto/user-keys.ts";
import { directSql, testDatabase } from "../../helpers/database.ts";
import { format1Blob } from "../../helpers/format1-blob.ts";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { getEntry, ok } from "../../helpers/operations.ts";
import { runCli } from "../../helpers/processes.ts";
import { marker, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let masterKeys: MasterKeyRing;
let masterKeyText: string;
let sql: Awaited<ReturnType<typeof directSql>>;

beforeEach(async () => {
  masterKeyText = newMasterKey();
  masterKeys = parseMasterKeys(masterKeyText, "AGENT_VAULT_MASTER_KEY");
  t = await startTestVault({ masterKeys });
  sql = await directSql(t.databaseUrl);
});
afterEach(async () => {
  await sql.close();
  await t.close();
});

const viewer = async (token: string) => t.client(token)("{ viewer { id } }");

function runtime(token: string) {
  return createRuntimeClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });
}

/** A user with a secret holding a unique marker, attached to an agent, and that agent's runtime token. */
async function owner() {
  const user = await t.newUser("owner");
  const value = marker("DB_WRITER");
  const secret = await ok(user.gql, "addSecret", { name: "TARGET_KEY", value });
  const agent = await ok(user.gql, "createAgent", { name: "worker", entryIds: [secret.id] });
  const runtimeToken = (await ok(user.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
  return { user, value, secret, agent, runtimeToken };
}

describe("a database writer", () => {
  it("cannot add an API token of their own making, even across a restart", async () => {
    const { user } = await owner();
    const forged = generateToken("api");
    const columns = '"id", "userId", "name", "tokenHash", "hashKeyVersion", "scopes", "createdAt"';
    const scopes = "ENTRIES_READ,RUNTIME_ISSUE,AGENTS_WRITE";
    const now = new Date().toISOString();
    // As tokens were once stored (a plain SHA-256), and as a keyed one without the key.
    await sql.run(`INSERT INTO "ApiToken" (${columns}) VALUES (?, ?, ?, ?, NULL, ?, ?)`, [
      "forged-plain",
      user.id,
      "forged",
      tokenDigest(forged),
      scopes,
      now,
    ]);
    const other = generateToken("api");
    await sql.run(`INSERT INTO "ApiToken" (${columns}) VALUES (?, ?, ?, ?, 1, ?, ?)`, [
      "forged-keyed",
      user.id,
      "forged",
      tokenDigest(other),
      scopes,
      now,
    ]);
    expect((await viewer(forged)).status).toBe(401);
    expect((await viewer(other)).status).toBe(401);
    // A restart does not adopt them as tokens from before keyed hashes.
    const reopened = await openVaultApp({ databaseUrl: t.databaseUrl, masterKeys, masterKeySource: "test" });
    try {
      const answer = await reopened.yoga.fetch("http://vault.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
      expect(answer.status).toBe(401);
    } finally {
      await reopened.close();
    }
  });

  it("gets nothing from rows without a binding and a deleted upgrade mark, before or after restarts; keys adopt only lists them", async () => {
    const { user, runtimeToken } = await owner();
    const other = marker("DB_WRITER_OTHER");
    const target = await ok(user.gql, "addSecret", { name: "NOT_FOR_WORKER", value: other });
    const [worker] = await sql.run('SELECT "id" FROM "Agent" WHERE "name" = ?', ["worker"]);
    const forged = generateToken("api");
    // A token as they were once stored (a plain SHA-256, no binding) with every scope, an
    // attachment without a binding, and the mark that said the vault's rows had been bound, deleted.
    await sql.run(
      'INSERT INTO "ApiToken" ("id", "userId", "name", "tokenHash", "hashKeyVersion", "scopes", "createdAt") VALUES (?, ?, ?, ?, NULL, ?, ?)',
      [
        "forged-legacy",
        user.id,
        "forged",
        tokenDigest(forged),
        "ENTRIES_READ,AGENTS_WRITE,RUNTIME_ISSUE",
        new Date().toISOString(),
      ],
    );
    await sql.run('INSERT INTO "Attachment" ("agentId", "entryId", "createdAt") VALUES (?, ?, ?)', [
      worker?.id,
      target.id,
      new Date().toISOString(),
    ]);
    await sql.run(`DELETE FROM "VaultMeta" WHERE "key" LIKE 'row-integrity%'`);
    expect((await viewer(forged)).status).toBe(401);

    const warnings: string[] = [];
    const log = (...args: unknown[]) => warnings.push(args.join(" "));
    const restart = () =>
      openVaultApp({
        databaseUrl: t.databaseUrl,
        masterKeys,
        masterKeySource: "test",
        logging: { debug: () => {}, info: () => {}, warn: log, error: log },
      });
    const asForged = (app: Awaited<ReturnType<typeof restart>>) =>
      app.yoga.fetch("http://vault.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${forged}` },
        body: JSON.stringify({ query: "{ viewer { id } }" }),
      });
    for (let start = 0; start < 2; start++) {
      const reopened = await restart();
      try {
        expect((await asForged(reopened)).status).toBe(401);
        const environment = createRuntimeClient({
          url: "http://vault.test/graphql",
          token: runtimeToken,
          fetch: reopened.yoga.fetch as typeof fetch,
        }).environment();
        await expect(environment).rejects.toThrow(/NOT_FOR_WORKER.*not made by the vault/);
      } finally {
        await reopened.close();
      }
    }
    expect(warnings.join("\n")).toContain("agent-vault keys adopt lists them");

    // The operator's command lists what it would adopt, and adopts nothing without --yes.
    const env = {
      AGENT_VAULT_DATA_DIR: path.join(t.dir, "cli"),
      AGENT_VAULT_MASTER_KEY: masterKeyText,
      DATABASE_URL: t.databaseUrl,
    };
    const listed = await runCli(["keys", "adopt", "--json"], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      adopted: false,
      tokens: [{ kind: "api", id: "forged-legacy", name: "forged", missing: ["keyed hash", "binding"] }],
      attachments: [{ agentName: "worker", entryName: "NOT_FOR_WORKER" }],
    });
    const text = await runCli(["keys", "adopt"], env);
    expect(text.stdout).toContain("grant nothing until adopted");
    expect(text.stdout).toContain("API token forged of user owner");
    expect(findMarkers(listed.stdout + text.stdout + text.stderr, [other, forged])).toEqual([]);
    expect((await viewer(forged)).status).toBe(401);
    await expect(runtime(runtimeToken).environment()).rejects.toMatchObject({ code: "VALUE_UNREADABLE" });
  });

  it("cannot widen, revive, extend or move a token", async () => {
    const { user } = await owner();
    const bob = await t.newUser("bob");
    const make = async (name: string, extra: Record<string, unknown> = {}) =>
      ok(user.gql, "createApiToken", { name, scopes: ["ENTRIES_WRITE"], ...extra });

    const widened = await make("widened");
    expect((await viewer(widened.token)).status).toBe(200);
    await sql.run('UPDATE "ApiToken" SET "scopes" = ? WHERE "id" = ?', [
      "ENTRIES_READ,ENTRIES_WRITE,AGENTS_WRITE,RUNTIME_ISSUE",
      widened.apiToken.id,
    ]);
    expect((await viewer(widened.token)).status).toBe(401);

    const revived = await make("revived");
    await ok(user.gql, "revokeApiToken", { id: revived.apiToken.id });
    await sql.run('UPDATE "ApiToken" SET "revokedAt" = NULL WHERE "id" = ?', [revived.apiToken.id]);
    expect((await viewer(revived.token)).status).toBe(401);

    const expiring = await make("extended", { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect((await viewer(expiring.token)).status).toBe(200);
    await sql.run('UPDATE "ApiToken" SET "expiresAt" = NULL WHERE "id" = ?', [expiring.apiToken.id]);
    expect((await viewer(expiring.token)).status).toBe(401);

    const moved = await make("moved");
    await sql.run('UPDATE "ApiToken" SET "userId" = ? WHERE "id" = ?', [bob.id, moved.apiToken.id]);
    expect((await viewer(moved.token)).status).toBe(401);
    // Bob's own token is untouched.
    expect((await viewer(bob.token)).status).toBe(200);
  });

  it("cannot turn a secret into a variable to read it, nor replay a value from before kinds were bound", async () => {
    const { user, value, secret, runtimeToken } = await owner();
    await sql.run(`UPDATE "Entry" SET "kind" = 'VARIABLE' WHERE "id" = ?`, [secret.id]);
    const read = await user.gql(`{ entry(id: "${secret.id}") { name ... on Variable { value } } }`);
    expect(read.errors?.[0]?.extensions?.code).toBe("VALUE_UNREADABLE");
    expect(read.errors?.[0]?.message).toContain("TARGET_KEY");
    await expect(runtime(runtimeToken).environment()).rejects.toMatchObject({ code: "VALUE_UNREADABLE" });

    // A ciphertext in the format from before kinds were bound, as an old backup holds: the vault
    // already moved every value on, so it is refused too.
    const [row] = await sql.run('SELECT "keySalt" FROM "User" WHERE "id" = ?', [user.id]);
    const keys = new UserKeyring(masterKeys).keysFor(user.id, row?.keySalt as Uint8Array, 1);
    await sql.run('UPDATE "Entry" SET "ciphertext" = ? WHERE "id" = ?', [
      format1Blob(keys.encryption, 1, user.id, secret.id, value),
      secret.id,
    ]);
    const replayed = await user.gql(`{ entry(id: "${secret.id}") { name ... on Variable { value } } }`);
    expect(replayed.errors?.[0]?.extensions?.code).toBe("VALUE_UNREADABLE");
    expect(findMarkers(replayed.text, [value])).toEqual([]);
  });

  it("cannot attach a secret to an agent whose runtime token they hold, nor move that token", async () => {
    const { user, value, runtimeToken } = await owner();
    const other = marker("DB_WRITER_OTHER");
    const unattached = await ok(user.gql, "addSecret", { name: "NOT_FOR_WORKER", value: other });
    const spare = await ok(user.gql, "addVariable", { name: "SPARE", value: "s" });
    const agentB = await ok(user.gql, "createAgent", { name: "other-agent", entryIds: [unattached.id, spare.id] });
    const [worker] = await sql.run('SELECT "id" FROM "Agent" WHERE "name" = ?', ["worker"]);
    const agentId = String(worker?.id);

    const before = await runtime(runtimeToken).environment();
    expect(Object.keys(before.environment)).toEqual(["TARGET_KEY"]);

    // Inserted, and with another attachment's binding copied onto it.
    await sql.run('INSERT INTO "Attachment" ("agentId", "entryId", "createdAt") VALUES (?, ?, ?)', [
      agentId,
      unattached.id,
      new Date().toISOString(),
    ]);
    const refused = runtime(runtimeToken).environment();
    await expect(refused).rejects.toMatchObject({ code: "VALUE_UNREADABLE" });
    await expect(refused).rejects.toThrow(/NOT_FOR_WORKER.*not made by the vault/);
    const [copied] = await sql.run('SELECT "binding" FROM "Attachment" WHERE "agentId" = ? AND "entryId" = ?', [
      agentB.id,
      unattached.id,
    ]);
    await sql.run('UPDATE "Attachment" SET "binding" = ? WHERE "agentId" = ? AND "entryId" = ?', [
      copied?.binding,
      agentId,
      unattached.id,
    ]);
    const answer = await t.vault.yoga.fetch("http://vault.test/runtime/environment", {
      method: "POST",
      headers: { authorization: `Bearer ${runtimeToken}` },
    });
    const text = await answer.text();
    expect(answer.status).toBe(500);
    expect(findMarkers(text, [value, other])).toEqual([]);

    // The runtime token moved to the other agent: it authenticates nobody.
    await sql.run('DELETE FROM "Attachment" WHERE "agentId" = ? AND "entryId" = ?', [agentId, unattached.id]);
    await sql.run('UPDATE "RuntimeToken" SET "agentId" = ? WHERE "agentId" = ?', [agentB.id, agentId]);
    await expect(runtime(runtimeToken).environment()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });

  it("cannot rename an entry into a name the vault refuses, such as NODE_OPTIONS", async () => {
    const { runtimeToken, secret } = await owner();
    await sql.run(`UPDATE "Entry" SET "name" = 'NODE_OPTIONS', "nameKey" = 'NODE_OPTIONS' WHERE "id" = ?`, [secret.id]);
    await expect(runtime(runtimeToken).environment()).rejects.toThrow(/NODE_OPTIONS.*refuses that name/);
  });

  it("cannot change the token hash key: the vault refuses to open, naming nothing secret", async () => {
    await owner();
    const [row] = await sql.run(`SELECT "value" FROM "VaultMeta" WHERE "key" = 'token-hash-key'`);
    const blob = Buffer.from(String(row?.value), "base64");
    const at = blob.length - 20;
    blob.writeUInt8((blob.readUInt8(at) ^ 0x01) & 0xff, at);
    await sql.run(`UPDATE "VaultMeta" SET "value" = ? WHERE "key" = 'token-hash-key'`, [blob.toString("base64")]);
    const replaced = randomBytes(48).toString("base64");
    const open = () => openVaultApp({ databaseUrl: t.databaseUrl, masterKeys, masterKeySource: "test" });
    await expect(open()).rejects.toThrow(/token hash key failed its integrity check/);
    await sql.run(`UPDATE "VaultMeta" SET "value" = ? WHERE "key" = 'token-hash-key'`, [replaced]);
    await expect(open()).rejects.toThrow(/token hash key/);
  });
});

describe("a database writer and console sessions", () => {
  const CSRF = { "x-agent-vault-csrf": "1" };
  const signIn = async (token: string) => {
    const response = await t.vault.yoga.fetch("http://vault.test/console/session", {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body: JSON.stringify({ token }),
    });
    return (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
  };
  const viewerName = async (cookie: string) => {
    const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", cookie, ...CSRF },
      body: JSON.stringify({ query: "{ viewer { name } }" }),
    });
    return response.status === 200 ? (await response.json()).data?.viewer?.name : response.status;
  };
  const sessionOf = async (tokenId: string) =>
    (await sql.run('SELECT "id" FROM "ConsoleSession" WHERE "tokenId" = ?', [tokenId]))[0]?.id;

  it("cannot point a session at another user's token, nor keep one alive by a last use in the future", async () => {
    const mallory = await t.newUser("mallory");
    const alice = await t.newUser("alice");
    const [aliceToken] = await sql.run('SELECT "id" FROM "ApiToken" WHERE "userId" = ?', [alice.id]);
    const [malloryToken] = await sql.run('SELECT "id" FROM "ApiToken" WHERE "userId" = ?', [mallory.id]);
    const cookie = await signIn(mallory.token);
    expect(await viewerName(cookie)).toBe("mallory");
    const session = await sessionOf(String(malloryToken?.id));
    await sql.run('UPDATE "ConsoleSession" SET "tokenId" = ? WHERE "id" = ?', [aliceToken?.id, session]);
    expect(await viewerName(cookie)).toBe(401);
    await sql.run('UPDATE "ConsoleSession" SET "tokenId" = ? WHERE "id" = ?', [malloryToken?.id, session]);
    expect(await viewerName(cookie)).toBe("mallory");

    // Idle for longer than the limit, then "used" a year from now.
    const future = new Date(Date.now() + 365 * 86_400_000);
    await sql.run('UPDATE "ConsoleSession" SET "lastSeenAt" = ? WHERE "id" = ?', [
      testDatabase === "sqlite" ? future.toISOString() : future,
      session,
    ]);
    expect(await viewerName(cookie)).toBe(401);

    // A session row of their own making, for alice's token, with a secret they know.
    const secret = `avs_${randomBytes(32).toString("base64url")}`;
    const own = await signIn(alice.token);
    const aliceSession = await sessionOf(String(aliceToken?.id));
    const [row] = await sql.run('SELECT "binding" FROM "ConsoleSession" WHERE "id" = ?', [aliceSession]);
    await sql.run(
      'INSERT INTO "ConsoleSession" ("id", "secretHash", "tokenId", "createdAt", "lastSeenAt", "binding") VALUES (?, ?, ?, ?, ?, ?)',
      [
        "forged-session",
        tokenDigest(secret),
        aliceToken?.id,
        new Date().toISOString(),
        new Date().toISOString(),
        row?.binding,
      ],
    );
    expect(await viewerName(`agent_vault_session=${secret}`)).toBe(401);
    expect(await viewerName(own)).toBe("alice");
  });
});

describe("the GraphQL API under a database writer", () => {
  it("lists a forged attachment's agent but delivers nothing through it", async () => {
    const { user, runtimeToken } = await owner();
    const secret = await ok(user.gql, "addSecret", { name: "LISTED", value: "v" });
    const [worker] = await sql.run('SELECT "id" FROM "Agent" WHERE "name" = ?', ["worker"]);
    await sql.run('INSERT INTO "Attachment" ("agentId", "entryId", "createdAt") VALUES (?, ?, ?)', [
      worker?.id,
      secret.id,
      new Date().toISOString(),
    ]);
    expect((await getEntry(user.gql, secret.id)).usedBy).toMatchObject([{ name: "worker" }]);
    await expect(runtime(runtimeToken).environment()).rejects.toMatchObject({ code: "VALUE_UNREADABLE" });
  });
});

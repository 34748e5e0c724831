// At rest: a stored value that was tampered with, moved to another row, or is under a removed
// key version is refused with a clear error; master key rotation moves every value to the new
// key, can be interrupted and run again, and no request fails meanwhile.
// These tests write to the database directly, as an attacker with access to it would.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, runtimeEndpoint } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../server/app.ts";
import { sealedKeyVersion } from "../../server/crypto/cipher.ts";
import { parseMasterKeys } from "../../server/crypto/master-key.ts";
import { directSql, freshDatabase } from "../helpers/database.ts";
import { ok } from "../helpers/operations.ts";
import { newServerEnv, runCli, startServer } from "../helpers/processes.ts";
import { type Gql, startTestVault, type TestVault } from "../helpers/test-vault.ts";

let t: TestVault;
beforeAll(async () => {
  t = await startTestVault();
});
afterAll(() => t.close());

/** A vault on this database with these master keys (`<key>` or `1:<key>,2:<key>`). */
const openVault = (databaseUrl: string, keys: string) =>
  openVaultApp({
    databaseUrl,
    masterKeys: parseMasterKeys(keys, "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
  });

const readValue = (gql: Gql, id: string) =>
  gql<{ entry: { value?: string | null } | null }>(
    `query ($id: ID!) { entry(id: $id) { ... on Variable { value } } }`,
    {
      id,
    },
  );

describe("tampering at rest", () => {
  it("refuses every single flipped byte of a stored value", async () => {
    const user = await t.newUser("tamper");
    const variable = await ok(user.gql, "addVariable", { name: "TAMPERED", value: "a value worth protecting" });
    const { ciphertext } = await t.asWriter((db) =>
      db.entry.findUniqueOrThrow({ where: { id: variable.id }, select: { ciphertext: true } }),
    );
    let accepted = 0;
    let tried = 0;
    for (let i = 0; i < ciphertext.length; i++) {
      const tampered = new Uint8Array(ciphertext);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      await t.asWriter((db) => db.entry.update({ where: { id: variable.id }, data: { ciphertext: tampered } }));
      const response = await readValue(user.gql, variable.id);
      tried++;
      if (response.data?.entry?.value !== undefined && response.data?.entry?.value !== null) accepted++;
      else expect(response.errors?.[0]?.extensions?.code).toMatch(/VALUE_UNREADABLE|INTERNAL_SERVER_ERROR/);
    }
    // A truncated tag too.
    await t.asWriter((db) =>
      db.entry.update({ where: { id: variable.id }, data: { ciphertext: ciphertext.slice(0, -4) } }),
    );
    expect((await readValue(user.gql, variable.id)).errors?.[0]?.extensions?.code).toBe("VALUE_UNREADABLE");
    console.log(`tamper: ${tried} bytes flipped one at a time, ${accepted} accepted`);
    expect(tried).toBe(ciphertext.length);
    expect(accepted).toBe(0);

    await t.asWriter((db) => db.entry.update({ where: { id: variable.id }, data: { ciphertext } }));
    expect((await readValue(user.gql, variable.id)).data?.entry?.value).toBe("a value worth protecting");
  });

  it("refuses a value moved to another entry or another user's entry, also on the runtime channel", async () => {
    const alice = await t.newUser("alice");
    const bob = await t.newUser("bob");
    const source = await ok(alice.gql, "addVariable", { name: "SOURCE", value: "alice's value" });
    const sibling = await ok(alice.gql, "addVariable", { name: "SIBLING", value: "other" });
    const bobs = await ok(bob.gql, "addVariable", { name: "BOBS", value: "bob's value" });
    await t.asWriter(async (db) => {
      const { ciphertext } = await db.entry.findUniqueOrThrow({
        where: { id: source.id },
        select: { ciphertext: true },
      });
      await db.entry.update({ where: { id: sibling.id }, data: { ciphertext } });
      await db.entry.update({ where: { id: bobs.id }, data: { ciphertext } });
    });

    const moved = await readValue(alice.gql, sibling.id);
    expect(moved.errors?.[0]).toMatchObject({ extensions: { code: "VALUE_UNREADABLE" } });
    expect(moved.errors?.[0]?.message).toContain("SIBLING");
    expect(moved.text).not.toContain("alice's value");
    const stolen = await readValue(bob.gql, bobs.id);
    expect(stolen.errors?.[0]?.extensions?.code).toBe("VALUE_UNREADABLE");

    const agent = await ok(alice.gql, "createAgent", { name: "reader", entryIds: [sibling.id] });
    const runtime = await ok(alice.gql, "createRuntimeToken", { agentId: agent.id });
    const response = await t.vault.yoga.fetch(runtimeEndpoint("http://vault.test/graphql", "environment"), {
      method: "POST",
      headers: { authorization: `Bearer ${runtime.token}` },
    });
    expect(response.status).toBe(500);
    const body = await response.text();
    expect(body).toContain("VALUE_UNREADABLE");
    expect(body).not.toContain("alice's value");
  });
});

describe("master key rotation", () => {
  it("writes new values under the new version, rewraps all in interrupted runs, and fails clearly without the old key", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-rotate-"));
    const database = await freshDatabase(dir);
    const v1 = randomBytes(32).toString("base64");
    const v2 = randomBytes(32).toString("base64");
    const open = (keys: string) => openVault(database.url, keys);
    try {
      let vault = await open(v1);
      const { token } = await vault.services.users.create("rotator");
      let sdk = createVaultClient({ url: "http://vault.test/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      for (let i = 0; i < 12; i++) await sdk.addVariable({ name: `OLD_${i}`, value: `old-${i}` });
      await vault.close();

      // Both versions configured: reads of old values work, new writes use version 2.
      vault = await open(`1:${v1},2:${v2}`);
      sdk = createVaultClient({ url: "http://vault.test/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      const fresh = await sdk.addVariable({ name: "NEW", value: "new" });
      const blob = await vault.db.entry.findUniqueOrThrow({
        where: { id: fresh.id },
        select: { ciphertext: true },
      });
      expect(sealedKeyVersion(blob.ciphertext)).toBe(2);
      const old = await sdk.entryByName({ name: "OLD_3" });
      expect(old?.__typename === "Variable" && old.value).toBe("old-3");
      await vault.close();

      // keys rewrap, the real command, interrupted after 5 values, then run again.
      const env = {
        AGENT_VAULT_DATA_DIR: path.join(dir, "cli"),
        AGENT_VAULT_MASTER_KEY: `1:${v1},2:${v2}`,
        DATABASE_URL: database.url,
      };
      const status = JSON.parse((await runCli(["keys", "status", "--json"], env)).stdout);
      // The token hash key moved to version 2 when the vault started with it.
      expect(status).toEqual({
        currentVersion: 2,
        byVersion: { "1": 12, "2": 1 },
        remaining: 12,
        tokenHashKeyVersion: 2,
        unkeyedTokens: 0,
        unreadable: [],
        legacyValues: [],
      });
      const partial = JSON.parse((await runCli(["keys", "rewrap", "--limit", "5", "--json"], env)).stdout);
      expect(partial).toMatchObject({ rewrapped: 5, remaining: 7 });
      const rest = await runCli(["keys", "rewrap"], env);
      expect(rest.code).toBe(0);
      expect(rest.stdout).toContain("Every value is under the current key.");
      const again = JSON.parse((await runCli(["keys", "rewrap", "--json"], env)).stdout);
      expect(again).toMatchObject({ rewrapped: 0, remaining: 0, byVersion: { "2": 13 } });

      // Version 1 removed: everything still reads.
      vault = await open(`2:${v2}`);
      sdk = createVaultClient({ url: "http://vault.test/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      const all = await sdk.entries({ first: 50 });
      expect(all.edges.map((e) => (e.node.__typename === "Variable" ? e.node.value : null)).sort()).toEqual(
        [...Array.from({ length: 12 }, (_, i) => `old-${i}`), "new"].sort(),
      );
      await vault.close();
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a value under a removed key version with a clear error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-removed-"));
    const database = await freshDatabase(dir);
    const v1 = randomBytes(32).toString("base64");
    const open = (keys: string) => openVault(database.url, keys);
    try {
      let vault = await open(v1);
      const { token } = await vault.services.users.create("forgetful");
      await createVaultClient({ url: "http://x/graphql", token, fetch: vault.yoga.fetch as typeof fetch }).addVariable({
        name: "STRANDED",
        value: "v",
      });
      await vault.close();
      // Version 2 added (the token hash key moves to it at that start), then version 1 removed
      // before keys rewrap ran: the value stays under version 1.
      const v2 = randomBytes(32).toString("base64");
      await (await open(`1:${v1},2:${v2}`)).close();
      vault = await open(`2:${v2}`);
      const response = await vault.yoga.fetch("http://x/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ entryByName(name: "STRANDED") { ... on Variable { value } } }' }),
      });
      const body = await response.json();
      expect(body.errors[0].extensions.code).toBe("VALUE_UNREADABLE");
      expect(body.errors[0].message).toContain("master key version 1, which is not configured");
      await vault.close();
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves every request while a rewrap runs", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "agent-vault-live-rewrap-"));
    const vaultEnv = await newServerEnv(work);
    try {
      const v2 = randomBytes(32).toString("base64");
      const { token } = JSON.parse((await runCli(["user", "create", "--name", "live", "--json"], vaultEnv.env)).stdout);
      let server = await startServer(vaultEnv.env);
      let sdk = createVaultClient({ url: `${server.url}/graphql`, token });
      await sdk.importEnv({
        content: Array.from({ length: 300 }, (_, i) => `LIVE_${i}=v${i}`).join("\n"),
        kind: "VARIABLE",
      });
      await server.stop();

      const rotated = { ...vaultEnv.env, AGENT_VAULT_MASTER_KEY: `1:${vaultEnv.env.AGENT_VAULT_MASTER_KEY},2:${v2}` };
      server = await startServer(rotated);
      sdk = createVaultClient({ url: `${server.url}/graphql`, token });
      const rewrapping = runCli(["keys", "rewrap", "--batch", "10", "--json"], rotated);
      let requests = 0;
      let failures = 0;
      let done = false;
      void rewrapping.then(() => {
        done = true;
      });
      while (!done) {
        const i = requests % 300;
        try {
          const entry = await sdk.entryByName({ name: `LIVE_${i}` });
          if (entry?.__typename !== "Variable") failures++;
          await sdk.updateVariable({ id: entry?.id as string, value: `w${requests}` });
        } catch (error) {
          failures++;
          console.log("FAILED", (error as Error).message);
        }
        requests++;
      }
      const report = JSON.parse((await rewrapping).stdout);
      console.log(`rewrap: ${report.rewrapped} values moved while ${requests} requests ran, ${failures} failed`);
      expect(failures).toBe(0);
      expect(requests).toBeGreaterThan(0);
      // Values updated during the rewrap were written under version 2 already.
      const status = JSON.parse((await runCli(["keys", "status", "--json"], rotated)).stdout);
      expect(status.remaining).toBe(0);
      await server.stop();
    } finally {
      await vaultEnv.drop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe("rewrap against what it cannot read or did not expect", () => {
  it("skips an unreadable value, names it in keys status and keys rewrap, and rewraps the rest", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-unreadable-"));
    const database = await freshDatabase(dir);
    const v1 = randomBytes(32).toString("base64");
    const v2 = randomBytes(32).toString("base64");
    try {
      const vault = await openVault(database.url, v1);
      const { token } = await vault.services.users.create("skipper");
      const sdk = createVaultClient({ url: "http://x/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      for (const name of ["FINE_A", "BROKEN", "FINE_B"]) await sdk.addSecret({ name, value: `${name}-value` });
      const broken = await sdk.entryByName({ name: "BROKEN" });
      await vault.close();
      const sql = await directSql(database.url);
      try {
        const [row] = await sql.run('SELECT "ciphertext" FROM "Entry" WHERE "id" = ?', [broken?.id]);
        const blob = Buffer.from(row?.ciphertext as Uint8Array);
        blob.writeUInt8(blob.readUInt8(30) ^ 0x01, 30);
        await sql.run('UPDATE "Entry" SET "ciphertext" = ? WHERE "id" = ?', [blob, broken?.id]);
      } finally {
        await sql.close();
      }

      const env = {
        AGENT_VAULT_DATA_DIR: path.join(dir, "cli"),
        AGENT_VAULT_MASTER_KEY: `1:${v1},2:${v2}`,
        DATABASE_URL: database.url,
      };
      const expected = { entryId: broken?.id, name: "BROKEN", what: "value" };
      const status = JSON.parse((await runCli(["keys", "status", "--json"], env)).stdout);
      expect(status.unreadable).toEqual([expect.objectContaining(expected)]);
      for (let run = 0; run < 2; run++) {
        const rewrap = await runCli(["keys", "rewrap"], env);
        expect(rewrap.code, rewrap.stderr).toBe(0);
        expect(rewrap.stdout).toContain(`Unreadable: the value of BROKEN (entry ${broken?.id})`);
        expect(rewrap.stdout).toContain("Every readable value is under the current key.");
        expect(rewrap.stdout + rewrap.stderr).not.toMatch(/\n\s+at /);
      }
      const after = JSON.parse((await runCli(["keys", "status", "--json"], env)).stdout);
      expect(after).toMatchObject({ byVersion: { "1": 1, "2": 2 }, remaining: 0, unreadable: [expected] });
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a value or a refresh token written while it ran, instead of overwriting it", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-cas-"));
    const database = await freshDatabase(dir);
    const v1Key = randomBytes(32).toString("base64");
    const v2Key = randomBytes(32).toString("base64");
    try {
      let vault = await openVault(database.url, v1Key);
      const { token } = await vault.services.users.create("racer");
      let sdk = createVaultClient({ url: "http://x/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      const variable = await sdk.addVariable({ name: "RACED", value: "old" });
      await sdk.connectAiProvider({
        provider: "OPENAI",
        method: "OAUTH",
        credential: "access-old",
        refreshToken: "refresh-old",
        expiresIn: 3600,
      });
      await vault.close();

      vault = await openVault(database.url, `1:${v1Key},2:${v2Key}`);
      sdk = createVaultClient({ url: "http://x/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      // The rewrap's writes, each preceded by a user's write to the same row: the race, made certain.
      const { keyService } = await import("../../server/modules/keys/keys.service.ts");
      const racing = new Proxy(vault.db, {
        get(target, property) {
          if (property === "entry") {
            return {
              findMany: target.entry.findMany.bind(target.entry),
              updateMany: async (args: object) => {
                await sdk.updateVariable({ id: variable.id, value: "newer" });
                return target.entry.updateMany(args as never);
              },
            };
          }
          if (property === "providerConnection") {
            return {
              updateMany: async (args: object) => {
                await sdk.connectAiProvider({
                  provider: "OPENAI",
                  method: "OAUTH",
                  credential: "access-new",
                  refreshToken: "refresh-new",
                  expiresIn: 3600,
                });
                return target.providerConnection.updateMany(args as never);
              },
            };
          }
          return Reflect.get(target, property);
        },
      });
      const { UserKeyring } = await import("../../server/crypto/user-keys.ts");
      const keyring = new UserKeyring(parseMasterKeys(`1:${v1Key},2:${v2Key}`, "k"));
      const keys = keyService({
        db: racing as typeof vault.db,
        sql: vault.sql,
        keyring,
        masterKeys: keyring.masterKeys,
      });
      await keys.rewrap();
      const read = await sdk.entryByName({ name: "RACED" });
      expect(read?.__typename === "Variable" && read.value).toBe("newer");
      // The refresh token the newer connection stored is still the one the vault holds.
      const { openRefreshToken } = await import("../../server/modules/provider/refresh-token.ts");
      const row = await vault.db.providerConnection.findFirstOrThrow({
        select: { refreshCiphertext: true, entryId: true, userId: true, user: { select: { keySalt: true } } },
      });
      const owner = { userId: row.userId, keySalt: row.user.keySalt };
      expect(openRefreshToken(keyring, owner, row.entryId, row.refreshCiphertext as Uint8Array)).toBe("refresh-new");
      await vault.close();
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("records no key check from keys status, so a mistyped new key does not lock out the real one", async () => {
    const work = mkdtempSync(path.join(tmpdir(), "agent-vault-status-"));
    const vaultEnv = await newServerEnv(work);
    try {
      await runCli(["user", "create", "--name", "typist", "--json"], vaultEnv.env);
      const v1 = vaultEnv.env.AGENT_VAULT_MASTER_KEY;
      const typo = { ...vaultEnv.env, AGENT_VAULT_MASTER_KEY: `1:${v1},2:${randomBytes(32).toString("base64")}` };
      expect((await runCli(["keys", "status"], typo)).code).toBe(0);
      const right = { ...vaultEnv.env, AGENT_VAULT_MASTER_KEY: `1:${v1},2:${randomBytes(32).toString("base64")}` };
      const rewrap = await runCli(["keys", "rewrap", "--json"], right);
      expect(rewrap.code, rewrap.stderr).toBe(0);
      expect(JSON.parse(rewrap.stdout)).toMatchObject({ currentVersion: 2, remaining: 0 });
    } finally {
      await vaultEnv.drop();
      rmSync(work, { recursive: true, force: true });
    }
  });
});

// On PostgreSQL an instance keeps what a placeholder opens instead of reading it for every request
// (db/postgres/change-watch.ts): these tests make sure it is kept, and that every end of a
// placeholder, every new value and every new limit holds on the other instance as soon as the
// write that made it has answered; that a write waits for an instance that has not heard it, and
// no longer than its answer; and that an instance that stops hearing stops keeping.
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { changeWatch } from "../../../server/db/postgres/change-watch.ts";
import { upstreamSettings } from "../../../server/modules/broker/upstream.ts";
import { UNHEARD_WRITE } from "../../../server/vault.ts";
import { directSql, testDatabase } from "../../helpers/database.ts";
import { listen, mockUpstream } from "../../helpers/mock-upstream.ts";
import { ok } from "../../helpers/operations.ts";
import { marker, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

type Mock = Awaited<ReturnType<typeof mockUpstream>>;
type Served = Awaited<ReturnType<typeof listen>>;

const masterKey = newMasterKey();
let mock: Mock;
let a: TestVault;
let b: Awaited<ReturnType<typeof openVaultApp>>;
let servedA: Served;
let servedB: Served;
let user: Awaited<ReturnType<TestVault["newUser"]>>;
/** Statements B ran that read what a placeholder opens. */
let grantReads = 0;
/** What B warned of. */
let warnedB: string[] = [];

const upstreams = { ...upstreamSettings({}), allowPrivate: true };

beforeEach(async () => {
  mock = await mockUpstream();
  const keys = {
    masterKeys: parseMasterKeys(masterKey, "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
  };
  a = await startTestVault({ ...keys, upstreams });
  warnedB = [];
  const quiet = () => {};
  b = await openVaultApp({
    ...keys,
    databaseUrl: a.databaseUrl,
    upstreams,
    logging: { debug: quiet, info: quiet, error: quiet, warn: (line: unknown) => warnedB.push(String(line)) },
    onQuery: (sql) => {
      if (sql.includes('FROM "BrokerPlaceholder" p')) grantReads++;
    },
  });
  servedA = await listen(a);
  servedB = await listen({ ...a, vault: b } as TestVault);
  user = await a.newUser("kept");
});

afterEach(async () => {
  await servedB.close();
  await servedA.close();
  await b.close();
  await a.close();
  await mock.close();
});

async function brokeredAgent(value = marker("sk-kept")) {
  const secret = await ok(user.gql, "addSecret", {
    name: `KEPT_KEY_${marker("N").slice(2, 10)}`,
    value,
    delivery: "BROKERED",
    upstream: {
      baseUrl: `${mock.url}/v1`,
      header: "Authorization",
      template: "Bearer {value}",
      baseUrlVariable: "KEPT_URL",
    },
  });
  const agent = await ok(user.gql, "createAgent", { name: marker("agent"), entryIds: [secret.id] });
  const { token } = await ok(user.gql, "createRuntimeToken", { agentId: agent.id });
  const env = await servedA.environment(token);
  const placeholder = env[secret.name] as string;
  /** A request through B's broker. */
  const callB = () =>
    fetch(`${env.KEPT_URL?.replace(servedA.origin, servedB.origin)}/models`, {
      headers: { authorization: `Bearer ${placeholder}` },
    }).then(async (response) => {
      await response.body?.cancel();
      return response.status;
    });
  return { secret, agent, value, callB };
}

/** Calls through B until a request reads nothing (B keeps the grant); fails when it never does. */
async function keptOnB(callB: () => Promise<number>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const before = grantReads;
    expect(await callB()).toBe(200);
    if (grantReads === before) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("B read the grant on every request");
}

describe.runIf(testDatabase === "postgres")("what a placeholder opens, kept by each instance", () => {
  it("is kept: requests read nothing once it is", async () => {
    const { callB } = await brokeredAgent();
    await keptOnB(callB);
    const before = grantReads;
    for (let i = 0; i < 20; i++) expect(await callB()).toBe(200);
    expect(grantReads).toBe(before);
  });

  it("ends on the other instance as soon as a detach, revocation, deletion or unbrokering on one has answered", async () => {
    const ends: [string, (agent: { id: string }, secret: { id: string }) => Promise<unknown>][] = [
      ["detached", (agent, secret) => ok(user.gql, "detachEntries", { agentId: agent.id, entryIds: [secret.id] })],
      [
        "revoked",
        async (agent) => {
          const [row] = await a.vault.db.runtimeToken.findMany({ where: { agentId: agent.id } });
          return ok(user.gql, "revokeRuntimeToken", { id: row?.id ?? "" });
        },
      ],
      ["agent deleted", (agent) => ok(user.gql, "deleteAgent", { agentId: agent.id })],
      [
        "unbrokered",
        (_agent, secret) =>
          ok(user.gql, "updateSecret", { id: secret.id, value: marker("sk-env"), delivery: "ENVIRONMENT" }),
      ],
    ];
    for (const [label, end] of ends) {
      const { agent, secret, callB } = await brokeredAgent();
      await keptOnB(callB);
      await end(agent, secret);
      expect([label, await callB()]).toEqual([label, 401]);
    }
  });

  it("uses a new value, and applies a new limit, on the other instance at the next request", async () => {
    const { agent, secret, callB } = await brokeredAgent();
    await keptOnB(callB);
    const rotated = marker("sk-rotated");
    await ok(user.gql, "updateSecret", { id: secret.id, value: rotated });
    expect(await callB()).toBe(200);
    expect(mock.received.at(-1)?.headers.authorization).toBe(`Bearer ${rotated}`);

    await keptOnB(callB);
    await ok(user.gql, "setAgentLimit", { agentId: agent.id, window: "DAY", maxRequests: 1 });
    expect(await callB()).toBe(200);
    expect(await callB()).toBe(429);
  });

  it("makes a write wait until an instance that kept grants has heard it, or its lease has ended", async () => {
    const { agent, secret, callB } = await brokeredAgent();
    await keptOnB(callB);
    // A third instance, as its listener would be: leased, hearing, and answering only when told.
    const third = new pg.Client({ connectionString: a.databaseUrl });
    await third.connect();
    try {
      await third.query(`LISTEN agent_vault_sync`);
      await third.query(
        `INSERT INTO "VaultInstance" ("id", "leaseUntil") VALUES ('third', (clock_timestamp() AT TIME ZONE 'UTC') + interval '60 seconds')`,
      );
      const asked = new Promise<string>((resolve) => third.once("notification", (m) => resolve(m.payload ?? "")));
      let answered = false;
      const detach = ok(user.gql, "detachEntries", { agentId: agent.id, entryIds: [secret.id] }).then(() => {
        answered = true;
      });
      const syncId = await asked;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
      await third.query(`SELECT pg_notify('agent_vault_ack', $1)`, [`${syncId} third`]);
      await detach;
      expect(await callB()).toBe(401);

      // An instance that never answers is waited for until its lease ends, and no longer.
      const next = await brokeredAgent();
      await keptOnB(next.callB);
      await third.query(
        `UPDATE "VaultInstance" SET "leaseUntil" = (clock_timestamp() AT TIME ZONE 'UTC') + interval '1 second' WHERE "id" = 'third'`,
      );
      await ok(user.gql, "detachEntries", { agentId: next.agent.id, entryIds: [next.secret.id] });
      expect(await next.callB()).toBe(401);
      const [lease] = (
        await third.query(
          `SELECT "leaseUntil" < (clock_timestamp() AT TIME ZONE 'UTC') AS "ended" FROM "VaultInstance" WHERE "id" = 'third'`,
        )
      ).rows;
      expect(lease?.ended).toBe(true);

      // A lease longer than any instance takes (a row a database writer made) is waited for no
      // longer than one: the write answers (a wait of an hour would outlast the test).
      const last = await brokeredAgent();
      await keptOnB(last.callB);
      await third.query(
        `UPDATE "VaultInstance" SET "leaseUntil" = (clock_timestamp() AT TIME ZONE 'UTC') + interval '1 hour' WHERE "id" = 'third'`,
      );
      await ok(user.gql, "detachEntries", { agentId: last.agent.id, entryIds: [last.secret.id] });
      expect(await last.callB()).toBe(401);
    } finally {
      await third.end();
    }
  });

  it("is not kept by an instance that stopped hearing: it reads again what a database writer changed", async () => {
    const { secret, callB } = await brokeredAgent();
    await keptOnB(callB);
    const writer = await directSql(a.databaseUrl);
    try {
      // B's listener is cut, and a database writer moves the secret's upstream unheard.
      const listeners = `FROM pg_stat_activity WHERE application_name = 'agent-vault listener' AND datname = current_database()`;
      await writer.run(`SELECT pg_terminate_backend(pid) ${listeners}`);
      for (let i = 0; i < 100 && (await writer.run(`SELECT pid ${listeners}`)).length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      // What B reads while it hears nothing, it does not keep.
      expect(await callB()).toBe(200);
      await writer.run(`ALTER TABLE "Entry" DISABLE TRIGGER "Entry_grants"`);
      await writer.run(`UPDATE "Entry" SET "upstream" = replace("upstream", '/v1', '/v2') WHERE "id" = ?`, [secret.id]);
      await writer.run(`ALTER TABLE "Entry" ENABLE TRIGGER "Entry_grants"`);
      const before = grantReads;
      // The value's integrity check fails on the moved row: nothing goes anywhere.
      expect(await callB()).toBe(500);
      expect(grantReads).toBeGreaterThan(before);
    } finally {
      await writer.close();
    }
  });

  it("is not kept while a trigger is disabled: a change the database does not announce is read", async () => {
    const { secret, callB } = await brokeredAgent();
    await keptOnB(callB);
    const writer = await directSql(a.databaseUrl);
    try {
      await writer.run(`ALTER TABLE "Entry" DISABLE TRIGGER "Entry_grants"`);
      // Within a lease's renewal (a second), B reads on every request.
      for (let i = 0; i < 60; i++) {
        const before = grantReads;
        expect(await callB()).toBe(200);
        if (grantReads > before) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await writer.run(`UPDATE "Entry" SET "upstream" = replace("upstream", '/v1', '/v2') WHERE "id" = ?`, [secret.id]);
      expect(await callB()).toBe(500);
    } finally {
      await writer.run(`ALTER TABLE "Entry" ENABLE TRIGGER "Entry_grants"`);
      await writer.close();
    }
  });

  it("counts an acknowledgement that arrives before the asking round has read whom to wait for", async () => {
    // Two instances' watches with minute-long leases; the asker's pool hands back the rows of its
    // round (who holds a lease) only after the other's acknowledgement has arrived.
    const pool = new pg.Pool({ connectionString: a.databaseUrl, max: 2 });
    const late = {
      query: async (text: string, values?: unknown[]) => {
        const result = await pool.query(text, values);
        if (text.includes("pg_notify('agent_vault_sync'")) await new Promise((resolve) => setTimeout(resolve, 500));
        return result;
      },
    } as unknown as pg.Pool;
    const asker = changeWatch(a.databaseUrl, () => late, { leaseMs: 60_000 });
    const other = changeWatch(a.databaseUrl, () => pool, { leaseMs: 60_000 });
    try {
      for (let i = 0; i < 100 && !(asker.hearsAll() && other.hearsAll()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(asker.hearsAll() && other.hearsAll()).toBe(true);
      let asked = 0;
      other.whenAsked(async () => {
        asked++;
      });
      // Waiting out the other's lease would take a minute: the answer already came.
      const outcome = await Promise.race([
        asker.heardEverywhere().then(() => "heard"),
        new Promise((resolve) => setTimeout(() => resolve("waited for the lease"), 20_000)),
      ]);
      expect(outcome).toBe("heard");
      expect(asked).toBe(1);
    } finally {
      await asker.close();
      await other.close();
      await pool.end();
    }
  }, 30_000);

  it("says when a write changed what placeholders open around the transactions that wait for the others", async () => {
    const { agent, secret } = await brokeredAgent();
    // Through the API: waited for, nothing said.
    await ok(user.gql, "detachEntries", { agentId: agent.id, entryIds: [secret.id] });
    expect(warnedB.filter((line) => line.startsWith(UNHEARD_WRITE))).toEqual([]);
    // Prisma's client alone, outside the database layer (a statement, or a transaction of its
    // own): said, with the table and no value.
    const name = marker("renamed");
    await b.db.agent.update({ where: { id: agent.id }, data: { name } });
    await b.db.$transaction((tx) => tx.entry.update({ where: { id: secret.id }, data: { name: `${secret.name}_B` } }));
    const said = warnedB.filter((line) => line.startsWith(UNHEARD_WRITE));
    expect(said).toEqual([`${UNHEARD_WRITE} (Agent)`, `${UNHEARD_WRITE} (Entry)`]);
    expect(said.join("\n")).not.toContain(name);
  });
});

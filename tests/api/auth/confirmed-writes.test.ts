// addSecret and addVariable start from the token as this instance verified it before, and their
// write confirms it in its own statement (server/auth/confirmation.ts): whatever became of the
// token since, the answer is the one a request with it always got, and nothing is written unless
// the token still works.
import type { TokenScope } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { confirmsByItsWrite } from "../../../server/auth/confirmation.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { tokenStillAsVerified } from "../../../server/modules/token/token.dal.ts";
import { directSql } from "../../helpers/database.ts";
import { listEntries, ok } from "../../helpers/operations.ts";
import { type Gql, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

const masterKey = newMasterKey();
let t: TestVault;

beforeAll(async () => {
  t = await startTestVault({ masterKeys: parseMasterKeys(masterKey, "AGENT_VAULT_MASTER_KEY") });
});
afterAll(() => t.close());

const ADD_SECRET = "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }";
const ADD_VARIABLE = "mutation ($input: AddVariableInput!) { addVariable(input: $input) { __typename } }";

/** A user, and a second token of theirs (which the test revokes or changes) already used once to add a secret. */
async function usedToken(scopes?: TokenScope[]) {
  const owner = await t.newUser("owner");
  const created = await ok(owner.gql, "createApiToken", { name: "second", ...(scopes ? { scopes } : {}) });
  const second = t.client(created.token);
  const first = await second(ADD_SECRET, { input: { name: "FIRST", value: "1" } });
  expect(first.data).toEqual({ addSecret: { __typename: "MutationAddSecretSuccess" } });
  return { owner, second, token: created.token as string, tokenId: created.apiToken.id as string };
}

/** What a request with this token gets when nothing of the vault remembers it: `{ viewer }`'s answer. */
async function refusal(gql: Gql) {
  const answer = await gql("{ viewer { id } }");
  expect(answer.status).toBe(401);
  return answer.text;
}

const names = async (gql: Gql) => (await listEntries(gql)).edges.map((edge) => edge.node.name).sort();

describe("writes that confirm their token", () => {
  it("refuses addSecret, addVariable, an attaching one, an invalid one and one of a taken name with a token revoked since it was used, and writes nothing", async () => {
    const { owner, second, tokenId } = await usedToken();
    const agent = await ok(owner.gql, "createAgent", { name: "worker" });
    await ok(owner.gql, "revokeApiToken", { id: tokenId });
    const attempts = [
      await second(ADD_SECRET, { input: { name: "AFTER", value: "2" } }),
      await second(ADD_VARIABLE, { input: { name: "AFTER_VARIABLE", value: "2" } }),
      await second(ADD_SECRET, { input: { name: "ATTACHED", value: "2", agentIds: [agent.id] } }),
      await second(ADD_SECRET, { input: { name: "not a name", value: "2" } }),
      await second(ADD_SECRET, { input: { name: "FIRST", value: "taken" } }),
    ];
    const expected = await refusal(second);
    for (const attempt of attempts) {
      expect(attempt.status).toBe(401);
      expect(attempt.text).toBe(expected);
    }
    expect(await names(owner.gql)).toEqual(["FIRST"]);
    const worker = await owner.gql<{ agent: { entries: unknown[] } }>(
      `{ agent(id: "${agent.id}") { entries { id } } }`,
    );
    expect(worker.data?.agent.entries).toEqual([]);
  });

  it("refuses a token whose row a database writer gave more scopes since it was used", async () => {
    const { owner, second, tokenId } = await usedToken(["ENTRIES_WRITE", "ENTRIES_READ"]);
    const sql = await directSql(t.databaseUrl);
    try {
      await sql.run('UPDATE "ApiToken" SET "scopes" = ? WHERE "id" = ?', [
        "ENTRIES_WRITE,ENTRIES_READ,TOKENS_MANAGE",
        tokenId,
      ]);
    } finally {
      await sql.close();
    }
    const attempt = await second(ADD_SECRET, { input: { name: "ESCALATED", value: "2" } });
    expect(attempt.status).toBe(401);
    expect(attempt.text).toBe(await refusal(second));
    expect(await names(owner.gql)).toEqual(["FIRST"]);
  });

  it("writes once, as the token is now, when its row changed since it was used but it still works", async () => {
    const { owner, second, tokenId } = await usedToken();
    const sql = await directSql(t.databaseUrl);
    try {
      await sql.run('UPDATE "ApiToken" SET "name" = ? WHERE "id" = ?', ["renamed", tokenId]);
    } finally {
      await sql.close();
    }
    const added = await second(ADD_SECRET, { input: { name: "AFTER", value: "2" } });
    expect(added.status).toBe(200);
    expect(await names(owner.gql)).toEqual(["AFTER", "FIRST"]);
    const activity = await owner.gql<{
      activity: { edges: { node: { action: string; entryName: string; actor: { name: string } } }[] };
    }>("{ activity(first: 10) { edges { node { action entryName actor { name } } } } }");
    const adds = activity.data?.activity.edges.map((edge) => edge.node).filter((node) => node.action === "ENTRY_ADDED");
    expect(adds?.map((node) => [node.entryName, node.actor.name]).sort()).toEqual([
      ["AFTER", "renamed"],
      ["FIRST", "second"],
    ]);
  });

  it("finds the token as verified in the database, with an expiry or without, and not once revoked", async () => {
    const owner = await t.newUser("owner");
    for (const expiresAt of [undefined, new Date(Date.now() + 3_600_000).toISOString()]) {
      const created = await ok(owner.gql, "createApiToken", { name: "checked", ...(expiresAt ? { expiresAt } : {}) });
      const credentials = { authorization: `Bearer ${created.token}`, address: "test" };
      expect(t.vault.services.authenticate.verifiedApi(credentials)).toBeNull();
      await t.client(created.token)("{ viewer { id } }");
      const unconfirmed = t.vault.services.authenticate.verifiedApi(credentials)?.unconfirmed;
      if (!unconfirmed) throw new Error("the token was not kept as verified");
      const check = tokenStillAsVerified(unconfirmed);
      expect(await t.vault.sql.objects(check.sql, check.params)).toHaveLength(1);
      await ok(owner.gql, "revokeApiToken", { id: created.apiToken.id });
      expect(await t.vault.sql.objects(check.sql, check.params)).toHaveLength(0);
    }
  });

  it("refuses a token that expired since it was used", async () => {
    const owner = await t.newUser("owner");
    const created = await ok(owner.gql, "createApiToken", {
      name: "brief",
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    });
    const brief = t.client(created.token);
    expect((await brief(ADD_SECRET, { input: { name: "FIRST", value: "1" } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const attempt = await brief(ADD_SECRET, { input: { name: "LATE", value: "2" } });
    expect(attempt.status).toBe(401);
    expect(await names(owner.gql)).toEqual(["FIRST"]);
  });

  it("counts each refusal once towards the failed authentications' limit, and then answers 429 with retry-after", async () => {
    const strict = await startTestVault({ rateLimits: { failedAuthPerMinute: 3 } });
    try {
      const owner = await strict.newUser("owner");
      const created = await ok(owner.gql, "createApiToken", { name: "second" });
      let n = 0;
      const send = () =>
        strict.vault.yoga.fetch("http://vault.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${created.token}` },
          body: JSON.stringify({ query: ADD_SECRET, variables: { input: { name: `X${n++}`, value: "1" } } }),
        });
      expect((await send()).status).toBe(200);
      await ok(owner.gql, "revokeApiToken", { id: created.apiToken.id });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await send()).status);
      expect(statuses).toEqual([401, 401, 401]);
      const throttled = await send();
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(
        ((await throttled.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code,
      ).toBe("TOO_MANY_REQUESTS");
      expect(await names(owner.gql)).toEqual(["X0"]);
    } finally {
      await strict.close();
    }
  });

  // PostgreSQL serves several instances; a SQLite vault is one process.
  it.skipIf(process.env.AGENT_VAULT_TEST_DB !== "postgres")(
    "refuses on one instance a token revoked on another since it was used there",
    async () => {
      const other = await openVaultApp({
        databaseUrl: t.databaseUrl,
        masterKeys: parseMasterKeys(masterKey, "AGENT_VAULT_MASTER_KEY"),
        masterKeySource: "AGENT_VAULT_MASTER_KEY",
      });
      try {
        const owner = await t.newUser("owner");
        const created = await ok(owner.gql, "createApiToken", { name: "second" });
        const onOther = async (query: string, variables?: unknown) => {
          const response = await other.yoga.fetch("http://vault.test/graphql", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${created.token}` },
            body: JSON.stringify({ query, variables }),
          });
          return { status: response.status, text: await response.text() };
        };
        expect((await onOther(ADD_SECRET, { input: { name: "FIRST", value: "1" } })).status).toBe(200);
        await ok(owner.gql, "revokeApiToken", { id: created.apiToken.id });
        const attempt = await onOther(ADD_SECRET, { input: { name: "AFTER", value: "2" } });
        expect(attempt.status).toBe(401);
        expect(attempt.text).toBe(await refusal(t.client(created.token)));
        expect(await names(owner.gql)).toEqual(["FIRST"]);
      } finally {
        await other.close();
      }
    },
  );
});

describe("the operations whose write confirms their token", () => {
  it.each([
    ["addSecret alone", ADD_SECRET, undefined, true],
    [
      "addVariable under an alias",
      'mutation { v: addVariable(input: {name: "A", value: "b"}) { __typename } }',
      undefined,
      true,
    ],
    [
      "the operation named, of two",
      `${ADD_SECRET} query Q { viewer { id } }`.replace("mutation (", "mutation M ("),
      "M",
      true,
    ],
    [
      "the other operation named",
      `${ADD_SECRET} query Q { viewer { id } }`.replace("mutation (", "mutation M ("),
      "Q",
      false,
    ],
    ["two operations, none named", `${ADD_SECRET} query Q { viewer { id } }`, undefined, false],
    [
      "a second root field",
      'mutation { addSecret(input: {name: "A", value: "b"}) { __typename } deleteEntry(input: {id: "x"}) { __typename } }',
      undefined,
      false,
    ],
    ["another mutation", 'mutation { deleteEntry(input: {id: "x"}) { __typename } }', undefined, false],
    ["a query", "{ viewer { id } }", undefined, false],
    [
      "a fragment at the root",
      'mutation { ...F } fragment F on Mutation { addSecret(input: {name: "A", value: "b"}) { __typename } }',
      undefined,
      false,
    ],
    [
      "a directive on the field",
      'mutation { addSecret(input: {name: "A", value: "b"}) @skip(if: true) { __typename } }',
      undefined,
      false,
    ],
    ["text that does not parse", "mutation { addSecret(", undefined, false],
    ["a very long operation", `${ADD_SECRET}${" ".repeat(3000)}`, undefined, false],
  ])("%s", (_label, query, operationName, expected) => {
    expect(confirmsByItsWrite(query, operationName)).toBe(expected);
  });
});

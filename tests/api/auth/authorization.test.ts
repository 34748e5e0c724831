// The authorization walk: every query, mutation and subscription field of the schema, read from
// the schema itself so that new fields are covered without editing this test, called as
// anonymous, as user A, as user B with A's ids, with a runtime token and with a revoked token.
import { randomUUID } from "node:crypto";
import type { TokenScope } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ok, probe } from "../../helpers/operations.ts";
import { call, type Ids, type Root, requiredScope, schemaWalk } from "../../helpers/schema-walk.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let walk: Awaited<ReturnType<typeof schemaWalk>>;
let roots: Root[];
const ids: Ids = { agent: "", secret: "", variable: "", token: "" };
let tokens: Record<string, string | null>;

beforeAll(async () => {
  // The walk fails authentication hundreds of times from one address, on purpose.
  t = await startTestVault({ rateLimits: { failedAuthPerMinute: 100_000 } });
  const alice = await t.newUser("alice");
  const bob = await t.newUser("bob");
  ids.secret = (await ok(alice.gql, "addSecret", { name: "ALICE_SECRET", value: "a" })).id;
  ids.variable = (await ok(alice.gql, "addVariable", { name: "ALICE_VAR", value: "b" })).id;
  ids.agent = (await ok(alice.gql, "createAgent", { name: "alice-agent", entryIds: [ids.secret] })).id;
  ids.token = (await ok(alice.gql, "createApiToken", { name: "walk" })).apiToken.id;
  const runtime = (await ok(alice.gql, "createRuntimeToken", { agentId: ids.agent })).token;
  const revoked = await ok(alice.gql, "createApiToken", { name: "revoked" });
  await ok(alice.gql, "revokeApiToken", { id: revoked.apiToken.id });
  tokens = { anonymous: null, alice: alice.token, bob: bob.token, runtime, revoked: revoked.token };

  walk = await schemaWalk(alice.gql);
  roots = walk.roots;
});
afterAll(() => t.close());

describe("the authorization walk", () => {
  it("covers every root field of the schema", () => {
    const names = roots.map((r) => r.field.name);
    for (const expected of [
      "entries",
      "agents",
      "aiProviders",
      "addSecret",
      "importEnv",
      "restartNeeded",
      "createRuntimeToken",
    ]) {
      expect(names).toContain(expected);
    }
  });

  it("lets only the owner's API token through, and answers B with A's ids as with missing ids", async () => {
    const unexpected: string[] = [];
    let calls = 0;
    const snapshot = async () =>
      JSON.stringify(
        await probe(
          t.client(tokens.alice as string),
          "{ entries { edges { node { id name version fingerprint usedByCount } } } agents { edges { node { id name restartRequired } } } viewer { apiTokens { id revokedAt } } }",
        ),
      );
    const before = await snapshot();
    const missing = { agent: randomUUID(), secret: randomUUID(), variable: randomUUID(), token: randomUUID() };

    // Everyone but the owner first: none of it may change anything.
    for (const { operation, field } of roots) {
      const text = walk.operationFor(operation, field, ids);
      for (const identity of ["anonymous", "runtime", "revoked"]) {
        calls++;
        const answer = await call(t, operation, text, tokens[identity] as string | null);
        if (!answer.includes("UNAUTHENTICATED") || answer.includes('"data"')) {
          unexpected.push(`${identity} ${field.name}: ${answer.slice(0, 200)}`);
        }
      }
      calls++;
      const withTheirs = await call(t, operation, text, tokens.bob as string);
      if (/alice|ALICE/.test(withTheirs)) unexpected.push(`bob ${field.name} saw alice's data`);
      if (!walk.takesIds(field)) continue;
      const withMissing = await call(t, operation, walk.operationFor(operation, field, missing), tokens.bob as string);
      const normalize = (answer: string, set: typeof ids) =>
        Object.values(set)
          .reduce((text, id) => text.replaceAll(id, "<id>"), answer)
          .replace(/WALK_\d+/g, "WALK")
          .replace(/WALK_IMPORT_\d+/g, "WALK_IMPORT");
      if (normalize(withTheirs, ids) !== normalize(withMissing, missing)) {
        unexpected.push(`bob ${field.name}: ${withTheirs.slice(0, 200)} vs ${withMissing.slice(0, 200)}`);
      }
    }
    expect(await snapshot()).toBe(before);

    // The owner: no authentication error and no unexpected error, whatever the typed result.
    for (const { operation, field } of roots) {
      calls++;
      const answer = await call(t, operation, walk.operationFor(operation, field, ids), tokens.alice as string);
      if (/UNAUTHENTICATED|INTERNAL_SERVER_ERROR|Unexpected error/.test(answer)) {
        unexpected.push(`alice ${field.name}: ${answer.slice(0, 200)}`);
      }
    }
    console.log(
      `authorization walk: ${roots.length} fields by 5 identities, ${calls} calls, ${unexpected.length} unexpected`,
    );
    expect(unexpected).toEqual([]);
  });
});

describe("the scope walk", () => {
  const SCOPES: TokenScope[] = [
    "ENTRIES_READ",
    "ENTRIES_WRITE",
    "ENTRIES_DELETE",
    "AGENTS_READ",
    "AGENTS_WRITE",
    "RUNTIME_ISSUE",
    "TOKENS_MANAGE",
    "PROVIDERS_MANAGE",
    "ACTIVITY_READ",
    "LIMITS_MANAGE",
  ];
  /** How each scoped field of a type other than the roots is reached, and what else that needs. */
  const NESTED: Record<string, { query: string; alsoNeeds: TokenScope[] }> = {
    "Variable.value": {
      query: "{ agents { edges { node { entries { ... on Variable { value } } } } } }",
      alsoNeeds: ["AGENTS_READ"],
    },
    "User.apiTokens": { query: "{ viewer { apiTokens { id } } }", alsoNeeds: [] },
    "Entry.versions": {
      query: "{ agents { edges { node { entries { versions { edges { node { version } } } } } } } }",
      alsoNeeds: ["AGENTS_READ"],
    },
    "Secret.versions": {
      query: "{ agents { edges { node { entries { ... on Secret { versions { edges { node { version } } } } } } } } }",
      alsoNeeds: ["AGENTS_READ"],
    },
    "EntryVersion.value": {
      query:
        "{ agents { edges { node { entries { versions { edges { node { ... on EntryVersion { value } } } } } } } } }",
      alsoNeeds: ["AGENTS_READ"],
    },
    ...Object.fromEntries(
      ["createdAt", "lastRestartedAt", "restartPolicy", "restartRequired"].map((field) => [
        `Agent.${field}`,
        { query: `{ entries { edges { node { usedBy { ${field} } } } } }`, alsoNeeds: ["ENTRIES_READ"] },
      ]),
    ),
    "Variable.versions": {
      query:
        "{ agents { edges { node { entries { ... on Variable { versions { edges { node { version } } } } } } } } }",
      alsoNeeds: ["AGENTS_READ"],
    },
  };
  const forbiddenScope = (answer: string): string | null =>
    /"scope":"([A-Z_]+)"/.exec(answer)?.[1] ?? (answer.includes("Forbidden") ? "?" : null);

  it("has every scope in the schema's TokenScope", async () => {
    const alice = t.client(tokens.alice as string);
    const { __type } = await probe<{ __type: { enumValues: { name: string }[] } }>(
      alice,
      '{ __type(name: "TokenScope") { enumValues { name } } }',
    );
    expect(__type.enumValues.map((v) => v.name).sort()).toEqual([...SCOPES].sort());
  });

  it("refuses every field to every token without its scope, naming it, and lets the scope through", async () => {
    const carol = await t.newUser("carol");
    const mine: Ids = {
      secret: (await ok(carol.gql, "addSecret", { name: "CAROL_SECRET", value: "c" })).id,
      variable: (await ok(carol.gql, "addVariable", { name: "CAROL_VAR", value: "v" })).id,
      agent: "",
      token: "",
    };
    mine.agent = (await ok(carol.gql, "createAgent", { name: "carol-agent", entryIds: [mine.variable] })).id;
    // The root walk detaches and deletes carol-agent; the nested probes read this one.
    await ok(carol.gql, "createAgent", { name: "carol-reader", entryIds: [mine.variable, mine.secret] });
    mine.token = (await ok(carol.gql, "createApiToken", { name: "spare" })).apiToken.id;
    const tokenWith = async (scopes: TokenScope[]) =>
      (await ok(carol.gql, "createApiToken", { name: scopes.join("+") || "none", scopes })).token;
    const only = Object.fromEntries(await Promise.all(SCOPES.map(async (s) => [s, await tokenWith([s])])));
    const allBut = Object.fromEntries(
      await Promise.all(SCOPES.map(async (s) => [s, await tokenWith(SCOPES.filter((o) => o !== s))])),
    );

    const wrong: string[] = [];
    let calls = 0;
    let scoped = 0;
    for (const { operation, field } of roots) {
      const needed = requiredScope(field);
      const text = walk.operationFor(operation, field, mine);
      if (needed) {
        scoped++;
        expect(SCOPES).toContain(needed);
        calls++;
        const without = forbiddenScope(await call(t, operation, text, allBut[needed]));
        if (without !== needed) wrong.push(`${field.name} without ${needed}: refused for ${without}`);
      }
      for (const scope of SCOPES) {
        calls++;
        const answer = await call(t, operation, text, only[scope]);
        const refused = forbiddenScope(answer);
        const expected = needed && needed !== scope ? needed : null;
        if (refused !== expected) wrong.push(`${field.name} with ${scope}: refused for ${refused}, not ${expected}`);
        if (!expected && /UNAUTHENTICATED|INTERNAL_SERVER_ERROR/.test(answer)) {
          wrong.push(`${field.name} with ${scope}: ${answer.slice(0, 200)}`);
        }
      }
    }
    expect(walk.scopedFields.map(({ type, field }) => `${type}.${field.name}`).sort()).toEqual(
      Object.keys(NESTED).sort(),
    );
    for (const { type, field } of walk.scopedFields) {
      const probe = NESTED[`${type}.${field.name}`] as (typeof NESTED)[string];
      const needed = requiredScope(field) as TokenScope;
      calls += 2;
      const filler = SCOPES.filter((s) => s !== needed && !probe.alsoNeeds.includes(s)).slice(0, 1);
      const without = await call(t, "query", probe.query, await tokenWith([...probe.alsoNeeds, ...filler]));
      if (forbiddenScope(without) !== needed) wrong.push(`${type}.${field.name} without ${needed}: ${without}`);
      const withIt = await call(t, "query", probe.query, await tokenWith([...probe.alsoNeeds, needed]));
      if (forbiddenScope(withIt) !== null || withIt.includes('"errors"')) {
        wrong.push(`${type}.${field.name} with ${needed}: ${withIt.slice(0, 200)}`);
      }
    }
    console.log(`scope walk: ${roots.length} fields (${scoped} scoped) by ${SCOPES.length} scopes, ${calls} calls`);
    expect(wrong).toEqual([]);
    expect(scoped).toBeGreaterThan(20);
  });
});

describe("the result walk", () => {
  // Every mutation, called with a token holding only the scope it requires, selecting everything its
  // result reaches: nothing in the answer is what that scope cannot read through a query. Each call
  // gets objects of its own, planted with markers: an agent's name, the names of the entries it
  // receives, a variable's value now and before, a secret's value.
  const READS_AGENTS_AND_ENTRIES = new Set(["ENTRIES_READ", "AGENTS_READ"]);
  /** docs/architecture.md rule 6: refusing to delete an entry in use names the agents that use it. */
  const NAMES_AGENTS_IN_ERRORS = new Set(["deleteEntry", "disconnectAiProvider"]);

  it("shows in no mutation's result what its token's scope would not show through a query", async () => {
    const dave = await t.newUser("dave");
    const scoped = new Map<string, string>();
    const tokenFor = async (scope: TokenScope) => {
      if (!scoped.has(scope)) {
        scoped.set(scope, (await ok(dave.gql, "createApiToken", { name: `only ${scope}`, scopes: [scope] })).token);
      }
      return scoped.get(scope) as string;
    };
    let n = 0;
    async function plant() {
      const m = (label: string) => `${label}_${++n}_${randomUUID().slice(0, 8)}`;
      const markers = {
        agent: m("AGENT_MARK"),
        secretName: m("SECRET_MARK"),
        variableName: m("VARIABLE_MARK"),
        otherName: m("OTHER_MARK"),
        secretValue: m("SECRET_VALUE"),
        oldValue: m("OLD_VALUE"),
        value: m("VALUE_MARK"),
      };
      const secret = await ok(dave.gql, "addSecret", { name: markers.secretName, value: markers.secretValue });
      const variable = await ok(dave.gql, "addVariable", { name: markers.variableName, value: markers.oldValue });
      await ok(dave.gql, "updateVariable", { id: variable.id, value: markers.value });
      const other = await ok(dave.gql, "addSecret", { name: markers.otherName, value: "other" });
      const agent = await ok(dave.gql, "createAgent", {
        name: markers.agent,
        entryIds: [secret.id, variable.id, other.id],
      });
      const token = (await ok(dave.gql, "createApiToken", { name: m("TOKEN_MARK") })).apiToken.id;
      return { markers, secret: secret.id, variable: variable.id, agent: agent.id, token };
    }

    const leaks: string[] = [];
    let calls = 0;
    for (const { operation, field } of roots.filter((root) => root.operation === "mutation")) {
      const scope = requiredScope(field) as TokenScope | null;
      if (!scope) continue;
      // Once with the entry ids pointing at a secret, once at a variable.
      for (const target of ["secret", "variable"] as const) {
        const planted = await plant();
        const mine: Ids = {
          agent: planted.agent,
          secret: target === "secret" ? planted.secret : planted.variable,
          variable: planted.variable,
          token: planted.token,
        };
        const text = walk.deepOperationFor(operation, field, mine);
        calls++;
        const answer = await call(t, operation, text, await tokenFor(scope));
        if (/INTERNAL_SERVER_ERROR|Unexpected error/.test(answer)) leaks.push(`${field.name}: ${answer.slice(0, 300)}`);
        const { markers } = planted;
        const hidden = [markers.secretValue, markers.oldValue];
        if (scope !== "ENTRIES_READ") hidden.push(markers.value);
        if (!READS_AGENTS_AND_ENTRIES.has(scope)) {
          // What the input names by id may be named in the answer (what the mutation wrote); nothing else.
          hidden.push(markers.otherName);
          if (!text.includes(planted.agent) && !NAMES_AGENTS_IN_ERRORS.has(field.name)) hidden.push(markers.agent);
          if (!text.includes(planted.secret)) hidden.push(markers.secretName);
          if (!text.includes(planted.variable)) hidden.push(markers.variableName);
        }
        for (const marker of hidden) {
          if (answer.includes(marker)) leaks.push(`${field.name} (${target}) with only ${scope} shows ${marker}`);
        }
      }
    }
    console.log(`result walk: ${calls} mutation calls, each selecting all its result reaches`);
    expect(leaks).toEqual([]);
    expect(calls).toBeGreaterThan(40);
  });
});

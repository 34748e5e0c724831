// No user ever sees or touches another's data: user B passing user A's ids gets exactly the
// answer that an id that does not exist gets, and A's data is unchanged afterwards.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_FIELDS, ENTRY_FIELDS, listAgents, listEntries, nodes, ok, viewer } from "../../helpers/operations.ts";
import { type Gql, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let alice: { gql: Gql; token: string };
let bob: { gql: Gql; token: string };
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestVault();
  alice = await t.newUser("alice");
  bob = await t.newUser("bob");
  ids.secret = (await ok(alice.gql, "addSecret", { name: "ALICE_KEY", value: "alice-secret" })).id;
  ids.variable = (await ok(alice.gql, "addVariable", { name: "ALICE_VAR", value: "alice-var" })).id;
  ids.agent = (await ok(alice.gql, "createAgent", { name: "alice-bot", entryIds: [ids.secret] })).id;
  ids.token = (await ok(alice.gql, "createApiToken", { name: "alice-ci" })).apiToken.id;
  // Bob has objects of his own, so a leak would have something to mix with.
  ids.bobEntry = (await ok(bob.gql, "addSecret", { name: "BOB_KEY", value: "bob" })).id;
  ids.bobAgent = (await ok(bob.gql, "createAgent", { name: "bob-bot" })).id;
});
afterAll(() => t.close());

const E = "__typename ... on Error { message }";
const S = (name: string) => `... on Mutation${name}Success { data { __typename } }`;

// Every query and mutation that takes an id, with the kind of id it takes.
const cases: [label: string, idKind: string, text: string, variables: (id: string) => Record<string, unknown>][] = [
  ["entry", "secret", `query ($id: ID!) { entry(id: $id) { ${ENTRY_FIELDS} } }`, (id) => ({ id })],
  ["entry (variable)", "variable", `query ($id: ID!) { entry(id: $id) { ${ENTRY_FIELDS} } }`, (id) => ({ id })],
  ["agent", "agent", `query ($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`, (id) => ({ id })],
  [
    "updateSecret",
    "secret",
    `mutation ($id: ID!) { updateSecret(input: {id: $id, value: "x"}) { ${E} } }`,
    (id) => ({ id }),
  ],
  [
    "updateVariable",
    "variable",
    `mutation ($id: ID!) { updateVariable(input: {id: $id, value: "x"}) { ${E} } }`,
    (id) => ({ id }),
  ],
  ["deleteEntry", "secret", `mutation ($id: ID!) { deleteEntry(input: {id: $id}) { ${E} } }`, (id) => ({ id })],
  [
    "deleteEntry (variable)",
    "variable",
    `mutation ($id: ID!) { deleteEntry(input: {id: $id}) { ${E} } }`,
    (id) => ({ id }),
  ],
  [
    "verifySecret",
    "secret",
    `mutation ($id: ID!) { verifySecret(input: {id: $id, value: "alice-secret"}) { ${E} } }`,
    (id) => ({ id }),
  ],
  [
    "addSecret with agentIds",
    "agent",
    `mutation ($id: ID!) { addSecret(input: {name: "SNEAK", value: "x", agentIds: [$id]}) { ${E} } }`,
    (id) => ({ id }),
  ],
  [
    "createAgent with entryIds",
    "secret",
    `mutation ($id: ID!) { createAgent(input: {name: "sneak", entryIds: [$id]}) { ${E} } }`,
    (id) => ({ id }),
  ],
  [
    "attachEntries (agent)",
    "agent",
    `mutation ($id: ID!, $e: ID!) { attachEntries(input: {agentId: $id, entryIds: [$e]}) { ${E} ${S("AttachEntries")} } }`,
    (id) => ({ id, e: ids.bobEntry }),
  ],
  [
    "attachEntries (entry)",
    "secret",
    `mutation ($id: ID!, $a: ID!) { attachEntries(input: {agentId: $a, entryIds: [$id]}) { ${E} } }`,
    (id) => ({ id, a: ids.bobAgent }),
  ],
  [
    "detachEntries (agent)",
    "agent",
    `mutation ($id: ID!, $e: ID!) { detachEntries(input: {agentId: $id, entryIds: [$e]}) { ${E} } }`,
    (id) => ({ id, e: ids.bobEntry }),
  ],
  [
    "detachEntries (entry)",
    "secret",
    `mutation ($id: ID!, $a: ID!) { detachEntries(input: {agentId: $a, entryIds: [$id]}) { ${E} } }`,
    (id) => ({ id, a: ids.bobAgent }),
  ],
  ["restartAgent", "agent", `mutation ($id: ID!) { restartAgent(input: {agentId: $id}) { ${E} } }`, (id) => ({ id })],
  ["deleteAgent", "agent", `mutation ($id: ID!) { deleteAgent(input: {agentId: $id}) { ${E} } }`, (id) => ({ id })],
  ["revokeApiToken", "token", `mutation ($id: ID!) { revokeApiToken(input: {id: $id}) { ${E} } }`, (id) => ({ id })],
];

describe("tenant isolation", () => {
  it.each(cases)("%s: another user's id is answered like a missing id", async (_label, idKind, text, variables) => {
    const theirs = ids[idKind] as string;
    const missing = randomUUID();
    const withTheirs = await bob.gql(text, variables(theirs));
    const withMissing = await bob.gql(text, variables(missing));
    expect(withTheirs.status).toBe(withMissing.status);
    expect(withTheirs.text.replaceAll(theirs, "<id>")).toBe(withMissing.text.replaceAll(missing, "<id>"));
    expect(withTheirs.text).not.toContain("alice");
    expect(withTheirs.text).not.toContain("ALICE");
  });

  it("leaves alice's data exactly as it was", async () => {
    const entries = await listEntries(alice.gql);
    expect(entries.totalCount).toBe(2);
    expect(nodes(entries)).toMatchObject([
      { name: "ALICE_KEY", version: 1, usedBy: [{ name: "alice-bot" }] },
      { name: "ALICE_VAR", version: 1, value: "alice-var" },
    ]);
    expect(nodes(await listAgents(alice.gql))).toMatchObject([{ name: "alice-bot", restartRequired: false }]);
    expect((await viewer(alice.gql)).apiTokens).toContainEqual(
      expect.objectContaining({ name: "alice-ci", revokedAt: null }),
    );
  });

  it("lists only the viewer's own entries and agents", async () => {
    expect(nodes(await listEntries(bob.gql)).map((entry) => entry.name)).toEqual(["BOB_KEY"]);
    expect(nodes(await listAgents(bob.gql)).map((agent) => agent.name)).toEqual(["bob-bot"]);
    expect((await viewer(bob.gql)).name).toBe("bob");
  });

  it("lets two users use the same names", async () => {
    const same = await ok(bob.gql, "addVariable", { name: "ALICE_VAR", value: "bob's own" });
    expect(same.value).toBe("bob's own");
  });
});

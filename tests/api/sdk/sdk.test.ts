// The SDK against the app in process: typed methods, success data, and every error class.

import {
  AgentByNameDocument,
  collect,
  createVaultClient,
  EntryInUseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ValidationError,
  type VaultClient,
  VaultError,
  VersionConflictError,
} from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let vault: VaultClient;

const clientFor = (token: string) =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });

beforeAll(async () => {
  t = await startTestVault({ rateLimits: { verifyPerMinute: 3 } });
  vault = clientFor((await t.newUser("sdk")).token);
});
afterAll(() => t.close());

describe("the SDK", () => {
  it("runs the main flow with typed results", async () => {
    const secret = await vault.addSecret({ name: "OPENAI_API_KEY", value: "sk-sdk" });
    expect(secret).toMatchObject({ __typename: "Secret", name: "OPENAI_API_KEY", version: 1, usedByCount: 0 });
    expect(secret).not.toHaveProperty("value");
    const variable = await vault.addVariable({ name: "MODEL", value: "gpt-5" });
    expect(variable.__typename === "Variable" && variable.value).toBe("gpt-5");

    const agent = await vault.createAgent({ name: "sdk-bot", entryIds: [variable.id] });
    expect(agent.restartRequired).toBe(false);
    const attached = await vault.attachEntries({ agentId: agent.id, entryIds: [secret.id] });
    expect(attached.pendingChanges).toEqual([{ name: "OPENAI_API_KEY", change: "ADDED" }]);

    const refusal = await vault.deleteEntry({ id: secret.id }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(EntryInUseError);
    expect(refusal).toBeInstanceOf(VaultError);
    expect((refusal as EntryInUseError).code).toBe("ENTRY_IN_USE");
    expect((refusal as EntryInUseError).agents).toEqual([{ id: agent.id, name: "sdk-bot" }]);

    await vault.detachEntries({ agentId: agent.id, entryIds: [secret.id] });
    expect(await vault.deleteEntry({ id: secret.id })).toBe(secret.id);
    const restarted = await vault.restartAgent({ agentId: agent.id });
    expect(restarted.restartRequired).toBe(false);

    const entries = await vault.entries({ first: 10 });
    expect(entries.totalCount).toBe(1);
    expect(entries.edges.map((edge) => edge.node.name)).toEqual(["MODEL"]);
    expect((await vault.entryByName({ name: "model" }))?.id).toBe(variable.id);
    expect((await vault.agents()).edges[0]?.node.name).toBe("sdk-bot");
    expect(await vault.entry({ id: secret.id })).toBeNull();
    expect(await vault.deleteAgent({ agentId: agent.id })).toBe(agent.id);
  });

  it("rejects with the error class of each typed failure", async () => {
    const secret = await vault.addSecret({ name: "ERRORS", value: "1" });
    await vault.updateSecret({ id: secret.id, value: "2" });

    const conflict = await vault.updateSecret({ id: secret.id, value: "3", expectedVersion: 1 }).catch((e) => e);
    expect(conflict).toBeInstanceOf(VersionConflictError);
    expect(conflict).toMatchObject({ code: "VERSION_CONFLICT", currentVersion: 2 });

    const invalid = await vault.addSecret({ name: "bad name", value: "x" }).catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ code: "VALIDATION", field: "name" });

    const taken = await vault.addVariable({ name: "errors", value: "x" }).catch((e) => e);
    expect(taken).toBeInstanceOf(NameTakenError);
    expect(taken.code).toBe("NAME_TAKEN");

    const missing = await vault.restartAgent({ agentId: "no-such-agent" }).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing.code).toBe("NOT_FOUND");

    expect(await vault.verifySecret({ id: secret.id, value: "2" })).toBe(true);
    expect(await vault.verifySecret({ id: secret.id, value: "1" })).toBe(false);
    await vault.verifySecret({ id: secret.id, value: "0" });
    const limited = await vault.verifySecret({ id: secret.id, value: "2" }).catch((e) => e);
    expect(limited).toBeInstanceOf(LimitExceededError);
    expect(limited.code).toBe("LIMIT_EXCEEDED");
  });

  it("rejects with VaultError UNAUTHENTICATED for a bad token and NETWORK for no server", async () => {
    const anonymous = clientFor("avt_not_a_real_token");
    const unauthenticated = await anonymous.viewer().catch((e) => e);
    expect(unauthenticated).toBeInstanceOf(VaultError);
    expect(unauthenticated.code).toBe("UNAUTHENTICATED");

    const unreachable = createVaultClient({ url: "http://127.0.0.1:1/graphql", token: "avt_x" });
    const network = await unreachable.viewer().catch((e) => e);
    expect(network).toBeInstanceOf(VaultError);
    expect(network.code).toBe("NETWORK");
  });

  it("exposes the urql client and the typed documents for operations of one's own", async () => {
    await vault.createAgent({ name: "raw-agent" });
    const result = await vault.client.query(AgentByNameDocument, { name: "RAW-AGENT" }).toPromise();
    expect(result.data?.agentByName?.name).toBe("raw-agent");
  });
});

describe("pages of entries", () => {
  it("pages forward and back by name, filters by kind, counts, and iterates over all", async () => {
    const pager = clientFor((await t.newUser("pager")).token);
    const other = clientFor((await t.newUser("neighbour")).token);
    await other.addSecret({ name: "NEIGHBOUR_SECRET", value: "theirs" });
    // Added out of order and in mixed case: pages follow names regardless of case.
    const names = ["delta", "ALPHA", "Echo", "charlie", "BRAVO", "golf", "FOXTROT"];
    for (const [i, name] of names.entries()) {
      await (i % 2 ? pager.addVariable : pager.addSecret)({ name, value: `v${i}` });
    }
    const sorted = [...names].sort((a, b) => a.toUpperCase().localeCompare(b.toUpperCase()));

    const first = await pager.entries({ first: 3 });
    expect(first.totalCount).toBe(7);
    expect(first.edges.map((e) => e.node.name)).toEqual(sorted.slice(0, 3));
    expect(first.pageInfo).toMatchObject({ hasNextPage: true });
    const second = await pager.entries({ first: 3, after: first.pageInfo.endCursor });
    expect(second.edges.map((e) => e.node.name)).toEqual(sorted.slice(3, 6));
    const third = await pager.entries({ first: 3, after: second.pageInfo.endCursor });
    expect(third.edges.map((e) => e.node.name)).toEqual(sorted.slice(6));
    expect(third.pageInfo.hasNextPage).toBe(false);

    const back = await pager.entries({ last: 2, before: third.edges[0]?.cursor });
    expect(back.edges.map((e) => e.node.name)).toEqual(sorted.slice(4, 6));
    expect(back.pageInfo.hasPreviousPage).toBe(true);

    const secrets = await pager.entries({ kind: "SECRET", first: 10 });
    expect(secrets.totalCount).toBe(4);
    expect(secrets.edges.every((e) => e.node.kind === "SECRET")).toBe(true);

    const all: string[] = [];
    for await (const entry of pager.allEntries({ pageSize: 2 })) all.push(entry.name);
    expect(all).toEqual(sorted);
    const variables: string[] = [];
    for await (const entry of pager.allEntries({ kind: "VARIABLE", pageSize: 2 })) variables.push(entry.name);
    expect(variables).toEqual(sorted.filter((name) => names.indexOf(name) % 2 === 1));
  });

  it("gives at most 500 per page, refuses a negative size, and answers an empty vault with an empty page", async () => {
    const empty = clientFor((await t.newUser("empty")).token);
    const page = await empty.entries({ first: 10 });
    expect(page).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
    await expect(empty.entries({ first: -1 })).rejects.toThrow(VaultError);
    await empty.importEnv({
      content: Array.from({ length: 505 }, (_, i) => `MANY_${String(i).padStart(3, "0")}=v`).join("\n"),
      kind: "VARIABLE",
    });
    expect((await empty.entries({})).edges.length).toBe(50);
    const capped = await empty.entries({ first: 1000 });
    expect(capped.edges.length).toBe(500);
    expect(capped.pageInfo.hasNextPage).toBe(true);
    const rest = await empty.entries({ first: 1000, after: capped.pageInfo.endCursor });
    expect(rest.edges.map((e) => e.node.name)).toEqual(["MANY_500", "MANY_501", "MANY_502", "MANY_503", "MANY_504"]);
    // allEntries walks it all in its own pages, none lost or repeated.
    const names = (await collect(empty.allEntries())).map((e) => e.name);
    expect(names).toHaveLength(505);
    expect(new Set(names).size).toBe(505);
    expect(capped.totalCount).toBe(505);
  });
});

// docs/architecture.md rules 6 and 7, and the environment size limit of rule 2, through the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  findEntry,
  getAgent,
  getEntry,
  listAgents,
  listEntries,
  mutate,
  nodes,
  ok,
  refused,
} from "../../helpers/operations.ts";
import { type Gql, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let gql: Gql;

beforeAll(async () => {
  t = await startTestVault();
  gql = (await t.newUser("alice")).gql;
});
afterAll(() => t.close());

const names = (list: { name: string }[]) => list.map((item) => item.name);

describe("attaching", () => {
  it("attaches entries at agent creation and later, and lists who uses what", async () => {
    const key = await ok(gql, "addSecret", { name: "OPENAI_API_KEY", value: "sk-1" });
    const model = await ok(gql, "addVariable", { name: "MODEL", value: "gpt" });
    const agent = await ok(gql, "createAgent", { name: "researcher", entryIds: [key.id] });
    expect(names(agent.entries)).toEqual(["OPENAI_API_KEY"]);
    expect(agent.restartRequired).toBe(false);

    const attached = await ok(gql, "attachEntries", { agentId: agent.id, entryIds: [model.id, key.id] });
    expect(names(attached.entries)).toEqual(["MODEL", "OPENAI_API_KEY"]);

    const other = await ok(gql, "addSecret", { name: "SLACK_TOKEN", value: "x", agentIds: [agent.id] });
    expect(names(other.usedBy)).toEqual(["researcher"]);

    expect(nodes(await listEntries(gql))).toMatchObject([
      { name: "MODEL", usedByCount: 1, usedBy: [{ name: "researcher" }] },
      { name: "OPENAI_API_KEY", usedByCount: 1, usedBy: [{ name: "researcher" }] },
      { name: "SLACK_TOKEN", usedByCount: 1, usedBy: [{ name: "researcher" }] },
    ]);
    expect((await listAgents(gql)).totalCount).toBe(1);
  });

  it("lists each entry's agents the same whether the page asks for them directly or through fragments", async () => {
    const shared = await ok(gql, "addSecret", { name: "PAGE_SHARED", value: "s" });
    const alone = await ok(gql, "addVariable", { name: "PAGE_ALONE", value: "a" });
    await ok(gql, "addVariable", { name: "PAGE_UNUSED", value: "u" });
    await ok(gql, "createAgent", { name: "page-two", entryIds: [shared.id] });
    await ok(gql, "createAgent", { name: "page-one", entryIds: [shared.id, alone.id] });
    const expected = [
      { name: "PAGE_ALONE", usedByCount: 1, usedBy: [{ name: "page-one" }] },
      { name: "PAGE_SHARED", usedByCount: 2, usedBy: [{ name: "page-one" }, { name: "page-two" }] },
      { name: "PAGE_UNUSED", usedByCount: 0, usedBy: [] },
    ];
    const page = async (query: string) => {
      const answer = await gql<{ entries: { edges: { node: { name: string } }[] } }>(query);
      expect(answer.errors).toBeUndefined();
      return answer.data?.entries.edges.map((edge) => edge.node);
    };
    const direct = await page('{ entries(search: "PAGE_") { edges { node { name usedByCount usedBy { name } } } } }');
    const inline = await page(
      '{ entries(search: "PAGE_") { edges { node { name ... on Secret { usedByCount usedBy { name } } ... on Variable { usedByCount usedBy { name } } } } } }',
    );
    const named = await page(`{ entries(search: "PAGE_") { ...Page } }
      fragment Page on QueryEntriesConnection { edges { node { name ...Users } } }
      fragment Users on Entry { usedByCount usedBy { name } }`);
    expect(direct).toEqual(expected);
    expect(inline).toEqual(expected);
    expect(named).toEqual(expected);
  });

  it("refuses unknown entries and agents, and changes nothing then", async () => {
    const entry = await ok(gql, "addVariable", { name: "SOLO", value: "1" });
    const missing = "00000000-0000-0000-0000-000000000000";
    expect((await mutate(gql, "createAgent", { name: "ghost", entryIds: [entry.id, missing] })).__typename).toBe(
      "NotFoundError",
    );
    expect(names(nodes(await listAgents(gql)))).not.toContain("ghost");
    const agent = await ok(gql, "createAgent", { name: "solo-agent" });
    expect((await mutate(gql, "attachEntries", { agentId: agent.id, entryIds: [entry.id, missing] })).__typename).toBe(
      "NotFoundError",
    );
    expect((await getAgent(gql, agent.id)).entries).toEqual([]);
    expect((await mutate(gql, "attachEntries", { agentId: missing, entryIds: [entry.id] })).__typename).toBe(
      "NotFoundError",
    );
    expect((await mutate(gql, "addSecret", { name: "LOST", value: "v", agentIds: [missing] })).__typename).toBe(
      "NotFoundError",
    );
    expect(names(nodes(await listEntries(gql, { kind: "SECRET" })))).not.toContain("LOST");
  });

  it("keeps agent names unique regardless of case and refuses empty ones", async () => {
    await ok(gql, "createAgent", { name: "Writer" });
    expect((await mutate(gql, "createAgent", { name: "writer" })).__typename).toBe("NameTakenError");
    expect(await mutate(gql, "createAgent", { name: "  " })).toMatchObject({
      __typename: "ValidationError",
      field: "name",
    });
  });
});

describe("detach before delete (rule 6)", () => {
  it("refuses deleting an attached entry, naming the agents, until it is detached", async () => {
    const secret = await ok(gql, "addSecret", { name: "SHARED_KEY", value: "k" });
    const a = await ok(gql, "createAgent", { name: "agent-a", entryIds: [secret.id] });
    const b = await ok(gql, "createAgent", { name: "agent-b", entryIds: [secret.id] });

    const inUse = await refused(gql, "deleteEntry", { id: secret.id }, "EntryInUseError");
    expect(names(inUse.agents)).toEqual(["agent-a", "agent-b"]);
    expect(inUse.message).toContain("agent-a");
    expect(inUse.message).toContain("agent-b");
    expect((await getEntry(gql, secret.id)).usedByCount).toBe(2);

    await ok(gql, "detachEntries", { agentId: a.id, entryIds: [secret.id] });
    const stillUsed = await refused(gql, "deleteEntry", { id: secret.id }, "EntryInUseError");
    expect(names(stillUsed.agents)).toEqual(["agent-b"]);

    await ok(gql, "deleteAgent", { agentId: b.id });
    expect(await ok(gql, "deleteEntry", { id: secret.id })).toBe(secret.id);
    expect(await findEntry(gql, secret.id)).toBeNull();
    expect((await mutate(gql, "deleteEntry", { id: secret.id })).__typename).toBe("NotFoundError");
  });

  it("never leaves a deleted entry attached when a delete and an attach race", async () => {
    const agent = await ok(gql, "createAgent", { name: "racer" });
    let deleted = 0;
    let attached = 0;
    for (let round = 0; round < 40; round++) {
      const entry = await ok(gql, "addSecret", { name: `RACE_${round}`, value: "v" });
      const [del, att] = await Promise.all([
        mutate(gql, "deleteEntry", { id: entry.id }),
        mutate(gql, "attachEntries", { agentId: agent.id, entryIds: [entry.id] }),
      ]);
      const exists = (await findEntry(gql, entry.id)) !== null;
      const current = await getAgent(gql, agent.id);
      const isAttached = current.entries.some((e: { id: string }) => e.id === entry.id);
      // Exactly one of the two wins, and what the vault shows agrees with it.
      if (del.__typename === "MutationDeleteEntrySuccess") {
        deleted++;
        expect(att.__typename).toBe("NotFoundError");
        expect(exists).toBe(false);
        expect(isAttached).toBe(false);
      } else {
        attached++;
        expect(del.__typename).toBe("EntryInUseError");
        expect(att.__typename).toBe("MutationAttachEntriesSuccess");
        expect(exists && isAttached).toBe(true);
        await ok(gql, "detachEntries", { agentId: agent.id, entryIds: [entry.id] });
        await ok(gql, "deleteEntry", { id: entry.id });
      }
    }
    expect(deleted + attached).toBe(40);
  });
});

describe("restart state (rule 7)", () => {
  it("shows restartRequired and pendingChanges after attach, update, detach, and clears on restartAgent", async () => {
    const user = await t.newUser("restarts");
    const g = user.gql;
    const key = await ok(g, "addSecret", { name: "KEY", value: "1" });
    const region = await ok(g, "addVariable", { name: "REGION", value: "eu" });
    const extra = await ok(g, "addVariable", { name: "EXTRA", value: "x" });
    const agent = await ok(g, "createAgent", { name: "bot", entryIds: [key.id, region.id] });
    expect(agent).toMatchObject({ restartRequired: false, pendingChanges: [], lastRestartedAt: null });

    await ok(g, "attachEntries", { agentId: agent.id, entryIds: [extra.id] });
    await ok(g, "updateSecret", { id: key.id, value: "2" });
    await ok(g, "detachEntries", { agentId: agent.id, entryIds: [region.id] });
    const pending = await getAgent(g, agent.id);
    expect(pending.restartRequired).toBe(true);
    expect(pending.pendingChanges).toEqual([
      { name: "EXTRA", change: "ADDED" },
      { name: "KEY", change: "UPDATED" },
      { name: "REGION", change: "REMOVED" },
    ]);

    const restarted = await ok(g, "restartAgent", { agentId: agent.id });
    expect(restarted).toMatchObject({ restartRequired: false, pendingChanges: [] });
    expect(Date.parse(restarted.lastRestartedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);

    // Undoing a change before a restart leaves nothing pending.
    await ok(g, "detachEntries", { agentId: agent.id, entryIds: [extra.id] });
    await ok(g, "attachEntries", { agentId: agent.id, entryIds: [extra.id] });
    expect((await getAgent(g, agent.id)).restartRequired).toBe(false);

    // A variable given the value it has is not a change; a secret written again is (the vault never
    // tells a writer whether its value was the secret's); a removed entry stays pending after it
    // is deleted.
    await ok(g, "updateVariable", { id: extra.id, value: "x" });
    expect((await getAgent(g, agent.id)).restartRequired).toBe(false);
    await ok(g, "updateSecret", { id: key.id, value: "2" });
    expect((await getAgent(g, agent.id)).pendingChanges).toEqual([{ name: "KEY", change: "UPDATED" }]);
    await ok(g, "restartAgent", { agentId: agent.id });
    await ok(g, "detachEntries", { agentId: agent.id, entryIds: [extra.id] });
    await ok(g, "deleteEntry", { id: extra.id });
    expect((await getAgent(g, agent.id)).pendingChanges).toEqual([{ name: "EXTRA", change: "REMOVED" }]);
  });

  it("marks every agent that uses an updated entry", async () => {
    const user = await t.newUser("fanout");
    const shared = await ok(user.gql, "addSecret", { name: "SHARED", value: "1" });
    const agents = [];
    for (const name of ["one", "two", "three"]) {
      agents.push(await ok(user.gql, "createAgent", { name, entryIds: [shared.id] }));
    }
    const bystander = await ok(user.gql, "createAgent", { name: "bystander" });
    await ok(user.gql, "updateSecret", { id: shared.id, value: "2" });
    for (const agent of agents) expect((await getAgent(user.gql, agent.id)).restartRequired).toBe(true);
    expect((await getAgent(user.gql, bystander.id)).restartRequired).toBe(false);
  });
});

describe("environment size (rule 2)", () => {
  it("keeps an agent's whole environment under 1 MiB, on attach and on update", async () => {
    const user = await t.newUser("big-env");
    const g = user.gql;
    const agent = await ok(g, "createAgent", { name: "heavy" });
    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      ids.push((await ok(g, "addSecret", { name: `BLOB_${i}`, value: "x".repeat(65536) })).id);
    }
    await ok(g, "attachEntries", { agentId: agent.id, entryIds: ids });
    const oneMore = await ok(g, "addSecret", { name: "ONE_MORE", value: "x".repeat(65536) });
    const refused = await mutate(g, "attachEntries", { agentId: agent.id, entryIds: [oneMore.id] });
    expect(refused.__typename).toBe("LimitExceededError");
    expect((await getAgent(g, agent.id)).entries).toHaveLength(15);

    const tiny = await ok(g, "addSecret", { name: "TINY", value: "x" });
    await ok(g, "attachEntries", { agentId: agent.id, entryIds: [tiny.id] });
    const grown = await mutate(g, "updateSecret", { id: tiny.id, value: "x".repeat(65536) });
    expect(grown.__typename).toBe("LimitExceededError");
    expect((await getEntry(g, tiny.id)).version).toBe(1);

    const created = await mutate(g, "addSecret", { name: "NEW_BIG", value: "x".repeat(65536), agentIds: [agent.id] });
    expect(created.__typename).toBe("LimitExceededError");
    expect((await listEntries(g)).totalCount).toBe(17);
  });
});

describe("an agent that starts with its new environment", () => {
  it("has no pending changes and a new lastRestartedAt, the start time its runtime was given", async () => {
    const secret = await ok(gql, "addSecret", { name: "STARTED_WITH", value: "one" });
    const agent = await ok(gql, "createAgent", { name: "starter", entryIds: [secret.id] });
    const token = (await ok(gql, "createRuntimeToken", { agentId: agent.id })).token as string;
    const start = async () => {
      const response = await t.vault.yoga.fetch("http://vault.test/runtime/environment", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      return (await response.json()) as { startedAt: string | null };
    };
    const first = await start();
    await ok(gql, "updateSecret", { id: secret.id, value: "two" });
    const pending = await getAgent(gql, agent.id);
    expect(pending.pendingChanges).toEqual([{ name: "STARTED_WITH", change: "UPDATED" }]);

    const second = await start();
    const after = await getAgent(gql, agent.id);
    expect(after.pendingChanges).toEqual([]);
    expect(after.restartRequired).toBe(false);
    expect(after.lastRestartedAt).toBe(second.startedAt);
    expect(Date.parse(after.lastRestartedAt ?? "")).toBeGreaterThan(Date.parse(first.startedAt ?? "1970-01-01"));
    // Started again with nothing new: nothing changes.
    expect((await start()).startedAt).toBe(second.startedAt);
  });
});

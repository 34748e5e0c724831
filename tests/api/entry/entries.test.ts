// docs/architecture.md rules 1-5 through the API: names, values, write-only secrets, fingerprints, versions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENTRY_FIELDS, getEntry, listEntries, mutate, nodes, ok, probe, refused } from "../../helpers/operations.ts";
import { type Gql, marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let gql: Gql;

beforeAll(async () => {
  t = await startTestVault({ rateLimits: { verifyPerMinute: 5 } });
  gql = (await t.newUser("alice")).gql;
});
afterAll(() => t.close());

describe("names (rule 1)", () => {
  it.each([
    ["empty", ""],
    ["starting with a digit", "1ABC"],
    ["with a dash", "MY-KEY"],
    ["with a space", "MY KEY"],
    ["with a dot", "my.key"],
    ["non-ASCII", "CLÉ"],
    ["129 characters", `A${"B".repeat(128)}`],
    ["PATH", "PATH"],
    ["path in lower case", "path"],
    ["HOME", "HOME"],
    ["SHELL", "SHELL"],
    ["USER", "USER"],
    ["PWD", "PWD"],
    ["NODE_OPTIONS", "NODE_OPTIONS"],
    ["LD_PRELOAD", "LD_PRELOAD"],
    ["DYLD_INSERT_LIBRARIES", "DYLD_INSERT_LIBRARIES"],
    ["our own prefix", "AGENT_VAULT_TOKEN"],
    ["our own prefix in lower case", "agent_vault_x"],
  ])("refuses a name %s with a ValidationError on name", async (_label, name) => {
    for (const field of ["addSecret", "addVariable"] as const) {
      const result = await refused(gql, field, { name, value: "v" }, "ValidationError");
      expect(result).toMatchObject({ field: "name" });
    }
    expect((await listEntries(gql)).totalCount).toBe(0);
  });

  it("accepts the longest name and underscores", async () => {
    const name = `_${"A".repeat(127)}`;
    const entry = await ok(gql, "addVariable", { name, value: "" });
    expect(entry.name).toBe(name);
    await ok(gql, "deleteEntry", { id: entry.id });
  });

  it("keeps names unique regardless of case, across kinds", async () => {
    const first = await ok(gql, "addSecret", { name: "Api_Key", value: "one" });
    for (const [field, name] of [
      ["addSecret", "API_KEY"],
      ["addVariable", "api_key"],
      ["addSecret", "Api_Key"],
    ] as const) {
      const result = await refused(gql, field, { name, value: "two" }, "NameTakenError");
      expect(result.message).toContain("Api_Key");
    }
    await ok(gql, "deleteEntry", { id: first.id });
  });
});

describe("values (rule 2)", () => {
  it("refuses an empty secret but allows an empty variable", async () => {
    const secret = await mutate(gql, "addSecret", { name: "EMPTY_SECRET", value: "" });
    expect(secret).toMatchObject({ __typename: "ValidationError", field: "value" });
    const variable = await ok(gql, "addVariable", { name: "EMPTY_VARIABLE", value: "" });
    expect(variable.value).toBe("");
    await ok(gql, "deleteEntry", { id: variable.id });
  });

  it("accepts exactly 64 KiB and refuses one byte more, counting UTF-8 bytes", async () => {
    const max = await ok(gql, "addSecret", { name: "BIG", value: "x".repeat(65536) });
    expect(max.version).toBe(1);
    const over = await mutate(gql, "addSecret", { name: "TOO_BIG", value: "x".repeat(65537) });
    expect(over).toMatchObject({ __typename: "ValidationError", field: "value" });
    // 21846 three-byte characters are 65538 bytes but only 21846 UTF-16 units.
    const multibyte = await mutate(gql, "addSecret", { name: "TOO_BIG", value: "€".repeat(21846) });
    expect(multibyte).toMatchObject({ __typename: "ValidationError", field: "value" });
    const update = await mutate(gql, "updateSecret", { id: max.id, value: "y".repeat(65537) });
    expect(update).toMatchObject({ __typename: "ValidationError", field: "value" });
    expect((await getEntry(gql, max.id)).version).toBe(1);
    await ok(gql, "deleteEntry", { id: max.id });
  });

  it("refuses a NUL character and text that is not valid UTF-8", async () => {
    expect(await mutate(gql, "addSecret", { name: "NUL", value: "a\u0000b" })).toMatchObject({
      __typename: "ValidationError",
      field: "value",
    });
    // A lone surrogate cannot be encoded as UTF-8; JSON can carry it as an escape.
    const result = await mutate(gql, "addSecret", { name: "LONE", value: "a\ud800b" });
    expect(result).toMatchObject({ __typename: "ValidationError", field: "value" });
  });
});

describe("write-only secrets (rule 3)", () => {
  it("never returns a secret's value, in any field or introspection", async () => {
    const value = marker("WRITE_ONLY");
    const secret = await ok(gql, "addSecret", { name: "WRITE_ONLY", value });
    const responses = [
      await gql(`{ entries { edges { node { ${ENTRY_FIELDS} } } } }`),
      await gql(`query ($id: ID!) { entry(id: $id) { ${ENTRY_FIELDS} } }`, { id: secret.id }),
      await gql(`mutation { updateSecret(input: {id: "${secret.id}", value: "${value}2"}) { __typename } }`),
    ];
    for (const response of responses) expect(response.text).not.toContain(value);
    const secretType = await probe<{ __type: { fields: { name: string }[] } }>(
      gql,
      '{ __type(name: "Secret") { fields { name } } }',
    );
    expect(secretType.__type.fields.map((f) => f.name)).not.toContain("value");
    await ok(gql, "deleteEntry", { id: secret.id });
  });

  it("returns a variable's value", async () => {
    const variable = await ok(gql, "addVariable", { name: "REGION", value: "eu-west-1" });
    expect(variable.value).toBe("eu-west-1");
    expect(await getEntry(gql, variable.id)).toMatchObject({ value: "eu-west-1" });
    await ok(gql, "deleteEntry", { id: variable.id });
  });
});

describe("fingerprints and verifySecret (rule 4)", () => {
  it("shows whether an entry's value changed, and cannot be matched against another entry's", async () => {
    const a = await ok(gql, "addVariable", { name: "FP_A", value: "same" });
    const b = await ok(gql, "addSecret", { name: "FP_B", value: "same" });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    // The same value in another entry: another fingerprint (a scratch entry tells nothing of a secret).
    expect(b.fingerprint).not.toBe(a.fingerprint);
    // The same entry: a changed value changes it, and the value it had before brings it back.
    const changed = await ok(gql, "updateVariable", { id: a.id, value: "other" });
    expect(changed.fingerprint).not.toBe(a.fingerprint);
    const back = await ok(gql, "updateVariable", { id: a.id, value: "same" });
    expect(back.fingerprint).toBe(a.fingerprint);
    // Another user's entry of the same name and value: unrelated too (the key is per user).
    const other = await t.newUser("bob-fp");
    const d = await ok(other.gql, "addVariable", { name: "FP_A", value: "same" });
    expect(d.fingerprint).not.toBe(a.fingerprint);
    for (const id of [a.id, b.id]) await ok(gql, "deleteEntry", { id });
  });

  it("answers whether a candidate matches, and is rate-limited", async () => {
    const user = await t.newUser("verifier");
    const secret = await ok(user.gql, "addSecret", { name: "CHECK_ME", value: "right" });
    expect(await ok(user.gql, "verifySecret", { id: secret.id, value: "right" })).toBe(true);
    expect(await ok(user.gql, "verifySecret", { id: secret.id, value: "wrong" })).toBe(false);
    expect(await ok(user.gql, "verifySecret", { id: secret.id, value: "" })).toBe(false);
    expect(await ok(user.gql, "verifySecret", { id: secret.id, value: "Right" })).toBe(false);
    expect(await ok(user.gql, "verifySecret", { id: secret.id, value: "right" })).toBe(true);
    // The limit here is 5 a minute: the sixth attempt is refused, even with the right value.
    const limited = await refused(user.gql, "verifySecret", { id: secret.id, value: "right" }, "LimitExceededError");
    expect(limited.message).not.toContain("right");
  });
});

describe("versions (rule 5)", () => {
  it("increments on every value change; a variable given its own value stays, a secret never tells", async () => {
    const secret = await ok(gql, "addSecret", { name: "VERSIONED", value: "v1" });
    expect(secret.version).toBe(1);
    const v2 = await ok(gql, "updateSecret", { id: secret.id, value: "v2" });
    expect(v2.version).toBe(2);
    expect(v2.fingerprint).not.toBe(secret.fingerprint);
    // A secret written with the value it has gets a new version all the same: an unchanged
    // version would tell the writer the candidate was the secret.
    const same = await ok(gql, "updateSecret", { id: secret.id, value: "v2" });
    expect(same.version).toBe(3);
    const v4 = await ok(gql, "updateSecret", { id: secret.id, value: "v4", expectedVersion: 3 });
    expect(v4.version).toBe(4);
    await ok(gql, "deleteEntry", { id: secret.id });

    const variable = await ok(gql, "addVariable", { name: "VERSIONED_VAR", value: "x" });
    expect((await ok(gql, "updateVariable", { id: variable.id, value: "x" })).version).toBe(1);
    expect((await ok(gql, "updateVariable", { id: variable.id, value: "y" })).version).toBe(2);
    await ok(gql, "deleteEntry", { id: variable.id });
  });

  it("changes nothing on a stale expectedVersion and reports the current one", async () => {
    const variable = await ok(gql, "addVariable", { name: "CONFLICTED", value: "one" });
    await ok(gql, "updateVariable", { id: variable.id, value: "two" });
    const conflict = await mutate(gql, "updateVariable", { id: variable.id, value: "three", expectedVersion: 1 });
    expect(conflict).toMatchObject({ __typename: "VersionConflictError", currentVersion: 2 });
    const after = await getEntry(gql, variable.id);
    expect(after).toMatchObject({ version: 2, value: "two" });
    await ok(gql, "deleteEntry", { id: variable.id });
  });

  it("gives exactly one winner among concurrent writers with the same expectedVersion", async () => {
    const secret = await ok(gql, "addSecret", { name: "RACED", value: "start" });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        mutate(gql, "updateSecret", { id: secret.id, value: `writer-${i}`, expectedVersion: 1 }),
      ),
    );
    const winners = results.filter((r) => r.__typename === "MutationUpdateSecretSuccess");
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.__typename === "VersionConflictError")).toHaveLength(49);
    expect((await getEntry(gql, secret.id)).version).toBe(2);
    await ok(gql, "deleteEntry", { id: secret.id });
  });

  it("does not update a secret through updateVariable, or the reverse", async () => {
    const secret = await ok(gql, "addSecret", { name: "KIND_A", value: "a" });
    const variable = await ok(gql, "addVariable", { name: "KIND_B", value: "b" });
    expect((await mutate(gql, "updateVariable", { id: secret.id, value: "x" })).__typename).toBe("NotFoundError");
    expect((await mutate(gql, "updateSecret", { id: variable.id, value: "x" })).__typename).toBe("NotFoundError");
    for (const id of [secret.id, variable.id]) await ok(gql, "deleteEntry", { id });
  });
});

describe("listing", () => {
  it("lists variables and secrets by name, filters by kind and pages with cursors", async () => {
    const user = await t.newUser("lister");
    for (const name of ["DELTA", "alpha", "Charlie", "BRAVO", "echo"]) {
      await ok(user.gql, name === name.toUpperCase() ? "addSecret" : "addVariable", { name, value: "v" });
    }
    const all = await listEntries(user.gql);
    expect(all.totalCount).toBe(5);
    expect(nodes(all).map((entry) => entry.name)).toEqual(["alpha", "BRAVO", "Charlie", "DELTA", "echo"]);
    expect((await listEntries(user.gql, { kind: "SECRET" })).totalCount).toBe(2);
    const page1 = await listEntries(user.gql, { first: 2 });
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await listEntries(user.gql, { first: 10, after: page1.pageInfo.endCursor });
    expect(nodes(page2).map((entry) => entry.name)).toEqual(["Charlie", "DELTA", "echo"]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    // totalCount is every entry (of the kind), whatever page it comes with, even an empty one.
    const afterFirst = await listEntries(user.gql, { first: 2, after: page1.pageInfo.endCursor });
    expect(afterFirst.totalCount).toBe(5);
    const last = await listEntries(user.gql, { last: 1 });
    const pastTheEnd = await listEntries(user.gql, { first: 2, after: last.pageInfo.endCursor });
    expect(pastTheEnd.edges).toEqual([]);
    expect(pastTheEnd.totalCount).toBe(5);
    const secretsAfterFirst = await listEntries(user.gql, {
      first: 2,
      after: page1.pageInfo.endCursor,
      kind: "SECRET",
    });
    expect(secretsAfterFirst.totalCount).toBe(2);
  });

  it("searches names on the server, whatever their case, with _ and % taken literally, and counts the matches", async () => {
    const user = await t.newUser("searcher");
    for (const name of ["OPENAI_API_KEY", "openai_org", "ANTHROPIC_API_KEY", "OPENAIXAPI", "LOG_LEVEL"]) {
      await ok(user.gql, "addVariable", { name, value: "v" });
    }
    const found = await listEntries(user.gql, { search: "openai" });
    expect(nodes(found).map((entry) => entry.name)).toEqual(["OPENAIXAPI", "OPENAI_API_KEY", "openai_org"]);
    expect(found.totalCount).toBe(3);
    // "_" is a character of the name, not LIKE's any-character: OPENAIXAPI does not match "I_A".
    expect(nodes(await listEntries(user.gql, { search: "I_A" })).map((entry) => entry.name)).toEqual([
      "OPENAI_API_KEY",
    ]);
    expect((await listEntries(user.gql, { search: "%" })).totalCount).toBe(0);
    // Pages of the matches, and their count on every page.
    const first = await listEntries(user.gql, { search: "api", first: 2 });
    expect(nodes(first).map((entry) => entry.name)).toEqual(["ANTHROPIC_API_KEY", "OPENAIXAPI"]);
    const rest = await listEntries(user.gql, { search: "api", first: 2, after: first.pageInfo.endCursor });
    expect(nodes(rest).map((entry) => entry.name)).toEqual(["OPENAI_API_KEY"]);
    expect(rest.totalCount).toBe(3);
    const none = await listEntries(user.gql, { search: "api", first: 2, after: rest.pageInfo.endCursor });
    expect(none).toMatchObject({ edges: [], totalCount: 3 });
    expect((await listEntries(user.gql, { search: "key", kind: "SECRET" })).totalCount).toBe(0);
  });

  describe("ordered on the server", () => {
    type Row = { name: string; kind: string; version: number; updatedAt: string };
    let user: Awaited<ReturnType<TestVault["newUser"]>>;
    const key = (name: string) => name.toUpperCase();

    beforeAll(async () => {
      user = await t.newUser("orderer");
      // Names whose order by name key differs from their order of creation, versions with ties,
      // both kinds, and updates that put the oldest entries last by time.
      const made: Record<string, string> = {};
      for (const name of ["m_one", "ZED", "alpha", "Beta", "KAPPA", "delta", "Echo"]) {
        const field = name === name.toUpperCase() ? "addSecret" : "addVariable";
        made[name] = (await ok(user.gql, field, { name, value: "v1" })).id as string;
      }
      for (const name of ["alpha", "ZED", "alpha", "delta"]) {
        const field = name === name.toUpperCase() ? "updateSecret" : "updateVariable";
        await ok(user.gql, field, { id: made[name] as string, value: marker("v") });
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });

    /** Every entry of the order, walking it two at a time forwards. */
    async function walk(variables: Record<string, unknown>): Promise<Row[]> {
      const rows: Row[] = [];
      let after: string | null | undefined;
      for (;;) {
        const page = await listEntries(user.gql, { ...variables, first: 2, after });
        rows.push(...(nodes(page) as Row[]));
        if (!page.pageInfo.hasNextPage) return rows;
        after = page.pageInfo.endCursor;
      }
    }

    const compare = {
      NAME: () => 0,
      KIND: (a: Row, b: Row) => a.kind.localeCompare(b.kind),
      VERSION: (a: Row, b: Row) => a.version - b.version,
      UPDATED_AT: (a: Row, b: Row) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt),
    };

    it.each(
      (["NAME", "KIND", "VERSION", "UPDATED_AT"] as const).flatMap((field) =>
        (["ASC", "DESC"] as const).map((direction) => [field, direction] as const),
      ),
    )("by %s %s, then by name, page after page", async (field, direction) => {
      const all = nodes(await listEntries(user.gql, { first: 100 })) as Row[];
      const sign = direction === "DESC" ? -1 : 1;
      const expected = [...all].sort(
        (a, b) => sign * (compare[field](a, b) || (key(a.name) < key(b.name) ? -1 : key(a.name) > key(b.name) ? 1 : 0)),
      );
      const walked = await walk({ orderBy: { field, direction } });
      expect(walked.map((row) => row.name)).toEqual(expected.map((row) => row.name));
      // Backwards from the end gives the same order.
      const last = await listEntries(user.gql, { orderBy: { field, direction }, last: 3 });
      expect(nodes(last).map((row) => row.name)).toEqual(expected.slice(-3).map((row) => row.name));
      const before = await listEntries(user.gql, {
        orderBy: { field, direction },
        last: 2,
        before: last.pageInfo.startCursor,
      });
      expect(nodes(before).map((row) => row.name)).toEqual(expected.slice(-5, -3).map((row) => row.name));
    });

    it("orders a kind's entries and a search's matches, and counts them", async () => {
      const variables = nodes(
        await listEntries(user.gql, { kind: "VARIABLE", orderBy: { field: "UPDATED_AT", direction: "DESC" } }),
      ).map((row) => row.name);
      expect(variables.slice(0, 2)).toEqual(["delta", "alpha"]);
      expect(variables).not.toContain("ZED");
      const found = await listEntries(user.gql, { search: "a", orderBy: { field: "VERSION", direction: "DESC" } });
      // Versions 3, 2, then the 1s by name, descending too.
      expect(nodes(found).map((row) => row.name)).toEqual(["alpha", "delta", "KAPPA", "Beta"]);
      expect(found.totalCount).toBe(4);
    });

    it("refuses a cursor of another order", async () => {
      const byName = await listEntries(user.gql, { first: 2 });
      const byVersion = await listEntries(user.gql, { first: 2, orderBy: { field: "VERSION" } });
      for (const [cursor, orderBy] of [
        [byName.pageInfo.endCursor, { field: "VERSION" }],
        [byVersion.pageInfo.endCursor, { field: "UPDATED_AT" }],
        [byVersion.pageInfo.endCursor, undefined],
      ] as const) {
        const answer = await user.gql(
          "query ($after: String, $orderBy: EntryOrder) { entries(first: 2, after: $after, orderBy: $orderBy) { totalCount } }",
          { after: cursor, orderBy },
        );
        expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
        expect(answer.errors?.[0]?.message).toContain("another order");
      }
    });
  });
});

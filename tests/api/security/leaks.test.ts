// Rule 3 and the security design: no secret value reaches a response, an error, a log line or
// the database file in plaintext. Markers are planted through every main flow and its failures,
// then searched for in every output.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { filesUnder, findMarkers, scanFiles } from "../../helpers/leak-scan.ts";
import { ENTRY_FIELDS, mutate, ok } from "../../helpers/operations.ts";
import { type Gql, type GraphQLResponse, marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let gql: Gql;
let token: string;
const markers: string[] = [];
const responses: GraphQLResponse[] = [];
const logLines: string[] = [];
let failureCount = 0;

const plant = (label: string) => {
  const value = marker(label);
  markers.push(value);
  return value;
};

async function send(query: string, variables?: Record<string, unknown>) {
  const response = await gql(query, variables);
  responses.push(response);
  return response;
}

beforeAll(async () => {
  const capture = (...args: unknown[]) =>
    logLines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : JSON.stringify(a))).join(" "));
  t = await startTestVault({ logging: { debug: capture, info: capture, warn: capture, error: capture } });
  const user = await t.newUser("leaky");
  gql = user.gql;
  token = user.token;

  // The main flows.
  const secret = await ok(gql, "addSecret", { name: "PLANTED", value: plant("ADDED") });
  await ok(gql, "updateSecret", { id: secret.id, value: plant("UPDATED") });
  const agent = await ok(gql, "createAgent", { name: "scanner", entryIds: [secret.id] });
  await ok(gql, "addSecret", { name: "PLANTED_2", value: plant("WITH_AGENT"), agentIds: [agent.id] });
  await ok(gql, "verifySecret", { id: secret.id, value: plant("CANDIDATE") });

  // Their failures, with a marker in the value each time.
  const failures: [string, Record<string, unknown>][] = [
    [
      'mutation ($v: String!) { addSecret(input: {name: "PLANTED", value: $v}) { __typename } }',
      { v: plant("NAME_TAKEN") },
    ],
    ['mutation ($v: String!) { addSecret(input: {name: "PATH", value: $v}) { __typename } }', { v: plant("BAD_NAME") }],
    [
      'mutation ($v: String!) { addSecret(input: {name: "NUL", value: $v}) { __typename } }',
      { v: `${plant("NUL")}\u0000` },
    ],
    [
      'mutation ($v: String!) { addSecret(input: {name: "HUGE", value: $v}) { __typename } }',
      { v: plant("HUGE").padEnd(70000, "x") },
    ],
    [
      `mutation ($v: String!) { updateSecret(input: {id: "${secret.id}", value: $v, expectedVersion: 1}) { __typename } }`,
      { v: plant("CONFLICT") },
    ],
    [
      'mutation ($v: String!) { updateSecret(input: {id: "nope", value: $v}) { __typename } }',
      { v: plant("NOT_FOUND") },
    ],
    // graphql-js echoes invalid variable values in its messages: a wrong type...
    [
      "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }",
      { input: { name: "X", value: { nested: plant("WRONG_TYPE") } } },
    ],
    [
      "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }",
      { input: { name: "X", value: [plant("LIST")] } },
    ],
    [
      "mutation ($input: UpdateSecretInput!) { updateSecret(input: $input) { __typename } }",
      { input: { id: secret.id, value: plant("INT_VERSION"), expectedVersion: "one" } },
    ],
    // ...an unknown field beside the value, or a missing one...
    [
      "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }",
      { input: { name: "X", value: plant("EXTRA_FIELD"), valeu: plant("TYPO") } },
    ],
    [
      "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }",
      { input: { value: plant("NO_NAME") } },
    ],
    // ...or a literal of the wrong type in the document itself.
    [
      `mutation { addSecret(input: {name: "X", value: ${JSON.stringify(plant("LITERAL"))}, agentIds: 5}) { __typename } }`,
      {},
    ],
    [
      `mutation { updateSecret(input: {id: "${secret.id}", value: "v", expectedVersion: ${JSON.stringify(plant("LITERAL_INT"))}}) { __typename } }`,
      {},
    ],
  ];
  failureCount = failures.length;
  for (const [query, variables] of failures) await send(query, variables);
  for (const query of [
    `{ entries { edges { node { ${ENTRY_FIELDS} } } } }`,
    `{ agents { edges { node { id name entries { ${ENTRY_FIELDS} } pendingChanges { name change } } } } }`,
  ]) {
    await send(query);
  }
  await mutate(gql, "verifySecret", { id: secret.id, value: plant("VERIFY_AGAIN") });
});
afterAll(() => t.close());

describe("leak scanning", () => {
  it("sent every planted value to the vault, which refused each failure", () => {
    // Each failure came back refused (a typed error or a request error), so its value went in.
    const refused = responses.slice(0, failureCount).filter((response) => {
      const typed = Object.values(response.data ?? {}).some((result) =>
        /Error$/.test((result as { __typename?: string } | null)?.__typename ?? ""),
      );
      return typed || (response.errors?.length ?? 0) > 0;
    });
    expect(refused.length).toBe(failureCount);
  });

  it("finds no marker in any response, error message or extension", () => {
    expect(responses.length).toBeGreaterThan(10);
    const errors = responses.flatMap((response) => response.errors ?? []);
    expect(errors.length).toBeGreaterThan(5);
    for (const response of responses) expect(findMarkers(response.text, markers), response.text).toEqual([]);
  });

  it("keeps the shape of bad-input errors useful without the value", () => {
    const messages = responses.flatMap((response) => (response.errors ?? []).map((error) => error.message));
    expect(messages.some((m) => /Variable "\$input" got invalid value at "input\.value"/.test(m))).toBe(true);
    expect(messages.some((m) => /Field "valeu" is not defined by type "AddSecretInput"/.test(m))).toBe(true);
  });

  it("finds no marker in the server's log", () => {
    expect(findMarkers(logLines.join("\n"), markers), logLines.join("\n").slice(0, 3000)).toEqual([]);
  });

  it("finds no marker or token in the database (SQLite with -wal and -shm, or a PostgreSQL dump) or the data directory", async () => {
    await t.vault.close();
    const bytes = t.databaseBytes();
    expect(bytes.includes(Buffer.from("PLANTED"))).toBe(true);
    expect(findMarkers(bytes, [...markers, token])).toEqual([]);
    expect(scanFiles(filesUnder(t.dir), [...markers, token])).toEqual([]);
  });
});

describe("a database error", () => {
  it("answers with a masked error and logs nothing of the value", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) =>
      lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : JSON.stringify(a))).join(" "));
    const broken = await startTestVault({ logging: { debug: capture, info: capture, warn: capture, error: capture } });
    try {
      const user = await broken.newUser("broken");
      const agent = await ok(user.gql, "createAgent", { name: "victim" });
      // The table the attachment goes to disappears: the write fails inside the database.
      // (With what refers to it: brokered placeholders; PostgreSQL refuses otherwise.)
      await broken.vault.db.$executeRawUnsafe('DROP TABLE "BrokerPlaceholder"');
      await broken.vault.db.$executeRawUnsafe('DROP TABLE "Attachment"');
      const value = marker("DB_ERROR");
      const response = await user.gql(
        'mutation ($v: String!, $a: ID!) { addSecret(input: {name: "DOOMED", value: $v, agentIds: [$a]}) { __typename } }',
        { v: value, a: agent.id },
      );
      expect(response.errors?.[0]?.message).toBe("Unexpected error.");
      expect(lines.join("\n")).toMatch(/Attachment|no such table|does not exist/);
      expect(findMarkers(response.text, [value])).toEqual([]);
      expect(findMarkers(lines.join("\n"), [value])).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});

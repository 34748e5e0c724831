// Bad input of every kind: each gets a clear, typed error, the server stays up, nothing is written.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { listAgents, listEntries, mutate } from "../../helpers/operations.ts";
import { type Gql, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let gql: Gql;
let token: string;
let tried = 0;
/** Inputs the current test sent that crashed the server: each test asserts none did. */
let crashed: string[] = [];

beforeAll(async () => {
  t = await startTestVault({ limits: { maxBodyBytes: 8 * 1024 * 1024 } });
  ({ gql, token } = await t.newUser("bad-input"));
});
beforeEach(() => {
  crashed = [];
});
afterAll(() => {
  console.log(`bad input: ${tried} bad inputs tried`);
  return t.close();
});

/** Counts an input; an answer that is a 5xx or an unexpected error is a crash. */
function count(status: number, text: string) {
  tried++;
  if (status >= 500 || /Unexpected error|INTERNAL_SERVER_ERROR/.test(text)) crashed.push(text.slice(0, 200));
}

async function nothingWritten() {
  expect(crashed).toEqual([]);
  expect((await listEntries(gql)).totalCount).toBe(0);
  expect((await listAgents(gql)).totalCount).toBe(0);
  expect((await t.vault.yoga.fetch("http://vault.test/healthz")).status).toBe(200);
}

describe("bad input", () => {
  it("refuses bad names and values with ValidationError", async () => {
    const names = [
      "",
      " ",
      "1X",
      "A-B",
      "A.B",
      "A B",
      "Ä",
      "\u0000",
      "A\nB",
      "x".repeat(129),
      "PATH",
      "home",
      "LD_X",
      "DYLD_X",
      "AGENT_VAULT_X",
      "NODE_OPTIONS",
      "$X",
      "🔑",
    ];
    for (const name of names) {
      for (const field of ["addSecret", "addVariable"] as const) {
        const result = await mutate(gql, field, { name, value: "v" });
        count(200, JSON.stringify(result));
        expect(result).toMatchObject({ __typename: "ValidationError", field: "name" });
      }
    }
    const values = ["", "a\u0000b", "x".repeat(65537), "\ud800", "a\udfffb"];
    for (const value of values) {
      const result = await mutate(gql, "addSecret", { name: "OK_NAME", value });
      count(200, JSON.stringify(result));
      expect(result).toMatchObject({ __typename: "ValidationError", field: "value" });
    }
    await nothingWritten();
  });

  it("refuses broken .env files with EnvParseError", async () => {
    const files = [
      "no equals",
      'A="open',
      "A='open\nB=2",
      "=value",
      "export X",
      "A=1\nA=2",
      `A=${"z".repeat(70000)}`,
      "\u0000\u0001\u0002",
      "PATH=/bin",
      "A=`unterminated",
      'A="x" trailing',
      Buffer.from("K=V\n", "utf16le").toString("latin1"),
    ];
    for (const content of files) {
      const response = await gql<{ importEnv: { __typename: string; lines: unknown[] } }>(
        "mutation ($c: String!) { importEnv(input: {content: $c}) { __typename ... on EnvParseError { lines { line } } } }",
        { c: content },
      );
      count(response.status, response.text);
      expect(response.data?.importEnv.__typename).toBe("EnvParseError");
      expect(response.data?.importEnv.lines.length).toBeGreaterThan(0);
    }
    await nothingWritten();
  });

  it("refuses malformed GraphQL requests with a 4xx or a typed error", async () => {
    const send = async (body: string | Uint8Array<ArrayBuffer>, contentType = "application/json") => {
      const response = await (t.vault.yoga.fetch as typeof fetch)("http://vault.test/graphql", {
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer ${token}` },
        body,
      });
      const text = await response.text();
      count(response.status, text);
      return { status: response.status, text };
    };
    const add = "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }";
    const bodies: (string | Uint8Array<ArrayBuffer>)[] = [
      "{ not json",
      "",
      "null",
      "[]",
      '"a string"',
      JSON.stringify({}),
      JSON.stringify({ query: 42 }),
      JSON.stringify({ query: "{ viewer { id } }", variables: "not an object" }),
      JSON.stringify({ query: "{ viewer { id } }", operationName: "Nope" }),
      JSON.stringify({ query: "query A { viewer { id } } query B { viewer { id } }" }),
      JSON.stringify({ query: "{ viewer { id " }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: 123 } } }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: { a: 1 } } } }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: null } } }),
      JSON.stringify({ query: add, variables: { input: { name: ["X"], value: "v" } } }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: "v", extra: true } } }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: "v", agentIds: "not-a-list" } } }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: "v", agentIds: [{}] } } }),
      JSON.stringify({ query: add, variables: {} }),
      JSON.stringify({ query: add, variables: { input: { name: "X", value: "x".repeat(5 * 1024 * 1024) } } }),
      `{"query": ${JSON.stringify(add)}, "variables": {"input": {"name": "X", "value": ${"[".repeat(5000)}${"]".repeat(5000)}}}}`,
      new Uint8Array([0x7b, 0x22, 0x71, 0xff, 0xfe, 0xfd, 0x22, 0x7d]),
      Buffer.concat([
        Buffer.from('{"query":"{ viewer { id } }","variables":{"x":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}}'),
      ]),
    ];
    for (const body of bodies) {
      const answer = await send(body);
      expect(answer.status, answer.text.slice(0, 200)).toBeLessThan(500);
    }
    const huge = await send(
      JSON.stringify({ query: add, variables: { input: { name: "X", value: "x".repeat(9 * 1024 * 1024) } } }),
    );
    expect(huge.status).toBe(413);
    const wrongType = await send("{}", "text/plain");
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    await nothingWritten();
  });
});

// GraphQL hardening and rate limits: each abusive request is refused, quickly, while normal
// traffic goes on working.
import { createServer } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryByName, ok, viewer } from "../../helpers/operations.ts";
import { type Gql, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;
let token: string;
let gql: Gql;
const refusals: { name: string; ms: number }[] = [];

beforeAll(async () => {
  t = await startTestVault({ trustedProxies: 1, rateLimits: { failedAuthPerMinute: 5, verifyPerMinute: 4 } });
  const user = await t.newUser("hardened");
  token = user.token;
  gql = user.gql;
});
afterAll(() => {
  console.log(
    `hardening: ${refusals.length} abusive requests refused, slowest in ${Math.max(...refusals.map((r) => r.ms)).toFixed(0)} ms`,
  );
  return t.close();
});

async function refused(name: string, send: () => Promise<Response | { status: number; text: string }> | Response) {
  const started = performance.now();
  const response = await send();
  const ms = performance.now() - started;
  refusals.push({ name, ms });
  const text =
    "text" in response && typeof response.text === "string" ? response.text : await (response as Response).text();
  return { status: response.status, text, ms };
}

const post = (body: string, headers: Record<string, string> = {}) =>
  t.vault.yoga.fetch("http://vault.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...headers },
    body,
  });

async function stillServes() {
  expect((await viewer(gql)).name).toBe("hardened");
}

describe("query limits", () => {
  it("refuses a query nested too deep", async () => {
    // 14 levels: past the depth limit (12), and still under the cost limit, which a deeper
    // query would reach first.
    const levels = 5;
    const deep = `{ agents { edges { node { ${"entries { usedBy { ".repeat(levels)} name ${"} } ".repeat(levels)} } } } }`;
    const result = await refused("depth", () => gql(deep));
    expect(result.text).toMatch(/depth/i);
    expect(result.text).not.toContain('"data":{"agents"');
    await stillServes();
  });

  it("refuses too many aliases", async () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: viewer { id }`).join(" ");
    const result = await refused("aliases", () => gql(`{ ${aliases} }`));
    expect(result.text).toMatch(/aliases/i);
    await stillServes();
  });

  it("refuses too many tokens", async () => {
    const fields = Array.from({ length: 6000 }, () => "__typename").join(" ");
    const result = await refused("tokens", () => gql(`{ ${fields} }`));
    expect(result.text).toMatch(/token/i);
    expect(result.text).not.toContain('"data"');
    await stillServes();
  });

  it("refuses an operation that costs too much", async () => {
    const scalars = "id name createdAt restartRequired lastRestartedAt";
    const nested = (depth: number): string =>
      depth === 0 ? scalars : `${scalars} entries { id name usedBy { ${nested(depth - 1)} } }`;
    const heavy = `{ ${Array.from({ length: 14 }, (_, i) => `a${i}: agents { edges { node { ${nested(3)} } } }`).join(" ")} }`;
    const result = await refused("cost", () => gql(heavy));
    expect(result.text).toMatch(/cost/i);
    expect(result.text).not.toContain('"data"');
    await stillServes();
  });

  it("refuses too many directives", async () => {
    const directives = Array.from({ length: 60 }, () => "@include(if: true)").join(" ");
    const result = await refused("directives", () => gql(`{ viewer ${directives} { id } }`));
    expect(result.text).toMatch(/directive/i);
    await stillServes();
  });

  it("suggests no field names", async () => {
    const result = await refused("suggestions", () => gql("{ viewr { id } }"));
    expect(result.text).not.toMatch(/Did you mean/);
  });
});

describe("HTTP", () => {
  it("refuses a mutation over GET", async () => {
    const url = `http://vault.test/graphql?query=${encodeURIComponent('mutation { addSecret(input: {name: "VIA_GET", value: "x"}) { __typename } }')}`;
    const result = await refused("mutation over GET", () =>
      t.vault.yoga.fetch(url, {
        headers: { authorization: `Bearer ${token}`, "x-graphql-yoga-csrf": "1", accept: "application/json" },
      }),
    );
    expect(result.status).toBe(405);
    expect(await entryByName(gql, "VIA_GET")).toBeNull();
  });

  it("refuses a simple cross-site request without the CSRF header", async () => {
    const body = new URLSearchParams({ query: "{ viewer { id } }" }).toString();
    const result = await refused("csrf", () =>
      t.vault.yoga.fetch("http://vault.test/graphql", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Bearer ${token}` },
        body,
      }),
    );
    expect(result.status).toBe(403);
    expect(result.text).toContain("CSRF");
  });

  it("does not batch", async () => {
    const result = await refused("batching", () =>
      post(JSON.stringify([{ query: "{ viewer { id } }" }, { query: "{ viewer { id } }" }])),
    );
    expect(result.status).toBeGreaterThanOrEqual(400);
    expect(result.text).not.toContain('"viewer"');
  });

  it("refuses a body over the size limit before reading it", async () => {
    const small = await startTestVault({ limits: { maxBodyBytes: 10_000 } });
    try {
      const user = await small.newUser("small");
      const result = await refused("body size", () =>
        small.vault.yoga.fetch("http://vault.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${user.token}` },
          body: JSON.stringify({ query: "{ viewer { id } }", variables: { padding: "x".repeat(20_000) } }),
        }),
      );
      expect(result.status).toBe(413);
      expect((await viewer(user.gql)).name).toBe("small");
    } finally {
      await small.close();
    }
  });

  it("over HTTP, refuses a body without Content-Length or over the limit, before reading it", async () => {
    const small = await startTestVault({ limits: { maxBodyBytes: 10_000 } });
    const server = createServer(small.vault.yoga);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    /** Sends the head (and `body`, if any) on a raw socket; resolves with the whole answer. */
    const exchange = (head: string, body = "") =>
      new Promise<string>((resolve, reject) => {
        let answer = "";
        const socket = connect(port, "127.0.0.1", () => socket.write(head + body));
        socket.on("data", (chunk) => {
          answer += chunk;
          if (/\r\n\r\n/.test(answer) && /"errors"|"data"/.test(answer)) socket.destroy();
        });
        socket.on("close", () => resolve(answer));
        socket.on("error", reject);
      });
    try {
      const user = await small.newUser("wire");
      const headers = `POST /graphql HTTP/1.1\r\nHost: vault.test\r\nContent-Type: application/json\r\nAuthorization: Bearer ${user.token}\r\n`;
      // Chunked, so without a declared length: refused before a byte of it is read.
      const chunked = await exchange(`${headers}Transfer-Encoding: chunked\r\n\r\n`, '4\r\n{"qu\r\n');
      expect(chunked).toMatch(/^HTTP\/1\.1 411 /);
      // Over the limit by its Content-Length: refused with only the head sent.
      const declared = await exchange(`${headers}Content-Length: 20000\r\n\r\n`);
      expect(declared).toMatch(/^HTTP\/1\.1 413 /);
      expect(declared).toContain("PAYLOAD_TOO_LARGE");
      // A body within its declared length is served.
      const body = JSON.stringify({ query: "{ viewer { name } }" });
      const served = await exchange(`${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body);
      expect(served).toMatch(/^HTTP\/1\.1 200 /);
      expect(served).toContain('"name":"wire"');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await small.close();
    }
  });

  it("refuses invalid JSON and keeps serving", async () => {
    const result = await refused("invalid JSON", () => post("{ this is not json"));
    // GraphQL over HTTP allows 200 with a request error for application/json answers.
    expect([200, 400]).toContain(result.status);
    expect(result.text).toContain("BAD_REQUEST");
    expect(result.text).not.toContain("this is not json");
    await stillServes();
  });

  it("turns introspection off when configured for production", async () => {
    const production = await startTestVault({ introspection: false });
    try {
      const user = await production.newUser("prod");
      const result = await refused("introspection", () => user.gql("{ __schema { types { name } } }"));
      expect(result.text).toMatch(/introspection/i);
      expect(result.text).not.toContain('"types"');
      expect((await viewer(user.gql)).name).toBe("prod");
    } finally {
      await production.close();
    }
  });
});

describe("rate limits", () => {
  const as = (address: string, bearer: string) => (text: string) =>
    post(JSON.stringify({ query: text }), { authorization: `Bearer ${bearer}`, "x-forwarded-for": address });

  it("blocks an address after repeated failed authentications, and only that address", async () => {
    const attacker = as("203.0.113.7", "avt_guessing");
    for (let i = 0; i < 5; i++) expect((await attacker("{ viewer { id } }")).status).toBe(401);
    const blocked = await refused("failed auth per address", () => attacker("{ viewer { id } }"));
    expect(blocked.status).toBe(429);
    // A guesser cannot lock out the owner sharing its address (a NAT, a proxy): valid tokens pass.
    expect((await as("203.0.113.7", token)("{ viewer { id } }")).status).toBe(200);
    expect((await attacker("{ viewer { id } }")).status).toBe(429);
    expect((await as("198.51.100.1", token)("{ viewer { id } }")).status).toBe(200);
  });

  it("blocks a token after repeated failures from many addresses", async () => {
    const revoked = await ok(gql, "createApiToken", { name: "soon revoked" });
    await ok(gql, "revokeApiToken", { id: revoked.apiToken.id });
    for (let i = 0; i < 5; i++) {
      expect((await as(`192.0.2.${i + 10}`, revoked.token)("{ viewer { id } }")).status).toBe(401);
    }
    const blocked = await refused("failed auth per token", () => as("192.0.2.99", revoked.token)("{ viewer { id } }"));
    expect(blocked.status).toBe(429);
  });

  it("limits verifySecret per token and per address", async () => {
    const secret = await ok(gql, "addSecret", { name: "GUARDED", value: "right" });
    const verify = (address: string, bearer: string) =>
      as(address, bearer)(`mutation { verifySecret(input: {id: "${secret.id}", value: "guess"}) { __typename } }`);
    const second = (await ok(gql, "createApiToken", { name: "second" })).token;
    for (let i = 0; i < 4; i++) {
      expect(await (await verify("198.51.100.20", token)).json()).toEqual({
        data: { verifySecret: { __typename: "MutationVerifySecretSuccess" } },
      });
    }
    // The user's allowance is spent: the same user is limited with another token and address too.
    const limited = await (await verify("198.51.100.21", second)).json();
    expect(limited.data.verifySecret.__typename).toBe("LimitExceededError");
    // Another user is not.
    const other = await t.newUser("other");
    const theirs = await ok(other.gql, "addSecret", { name: "THEIRS", value: "x" });
    const fresh = await (
      await as(
        "198.51.100.22",
        other.token,
      )(`mutation { verifySecret(input: {id: "${theirs.id}", value: "x"}) { __typename } }`)
    ).json();
    expect(fresh.data.verifySecret.__typename).toBe("MutationVerifySecretSuccess");
  });
});

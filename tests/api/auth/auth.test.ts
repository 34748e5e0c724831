// API tokens: Bearer authentication, shown once, stored only as SHA-256, revocable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateToken } from "../../../server/crypto/tokens.ts";
import { listEntries, ok, refused, viewer } from "../../helpers/operations.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";
import { mistyped } from "../../helpers/tokens.ts";

let t: TestVault;

beforeAll(async () => {
  t = await startTestVault();
});
afterAll(() => t.close());

describe("authentication", () => {
  it.each([
    ["no header", {}],
    ["an empty bearer", { authorization: "Bearer " }],
    ["basic auth", { authorization: "Basic dXNlcjpwYXNz" }],
    ["a malformed token", { authorization: "Bearer hello" }],
    ["a token with a bad checksum", { authorization: `Bearer ${mistyped(generateToken("api"))}` }],
    ["a well-formed token nobody issued", { authorization: `Bearer ${generateToken("api")}` }],
    ["a runtime token", { authorization: `Bearer ${generateToken("runtime")}` }],
  ])("refuses %s with UNAUTHENTICATED and no data", async (_label, headers) => {
    await t.newUser("someone");
    const response = await t.http(JSON.stringify({ query: "{ viewer { id } entries { totalCount } }" }), headers);
    expect(response.status).toBe(401);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });

  it("refuses mutations without a token and writes nothing", async () => {
    const user = await t.newUser("writer");
    const response = await t.client(null)('mutation { addSecret(input: {name: "X", value: "y"}) { __typename } }');
    expect(response.status).toBe(401);
    expect((await listEntries(user.gql)).totalCount).toBe(0);
  });

  it("creates tokens shown once, lists them without their value, and revokes them", async () => {
    const user = await t.newUser("owner");
    const created = await ok(user.gql, "createApiToken", { name: "ci" });
    expect(created.token).toMatch(/^avt_[0-9A-Za-z]{38}$/);
    const second = t.client(created.token);
    expect((await viewer(second)).name).toBe("owner");

    const listed = await second("{ viewer { apiTokens { id name createdAt revokedAt } } }");
    expect(listed.text).not.toContain(created.token);
    expect((await viewer(second)).apiTokens.map((token) => token.name)).toEqual(["first token", "ci"]);

    const revoked = await ok(user.gql, "revokeApiToken", { id: created.apiToken.id });
    expect(revoked.revokedAt).not.toBeNull();
    const refused = await second("{ viewer { name } }");
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    // The first token still works.
    expect((await viewer(user.gql)).name).toBe("owner");
  });

  it("lets an expiring token create only tokens that expire no later than itself", async () => {
    const user = await t.newUser("short-lived");
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const hour = await ok(user.gql, "createApiToken", { name: "an hour", expiresAt });
    const asHour = t.client(hour.token);
    const later = await refused(
      asHour,
      "createApiToken",
      { name: "a day", expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      "ValidationError",
    );
    expect(later).toMatchObject({ field: "expiresAt" });
    expect(later.message).toContain("expires no later");
    // Without an expiry: it expires with its creator.
    const unsaid = await ok(asHour, "createApiToken", { name: "unsaid" });
    expect(unsaid.apiToken.expiresAt).toBe(expiresAt);
    const sooner = new Date(Date.now() + 600_000).toISOString();
    expect((await ok(asHour, "createApiToken", { name: "sooner", expiresAt: sooner })).apiToken.expiresAt).toBe(sooner);
    expect((await viewer(user.gql)).apiTokens.map((token) => token.name)).toEqual([
      "first token",
      "an hour",
      "unsaid",
      "sooner",
    ]);
  });

  it("keeps an expiring token working until it expires when the server's time zone is not UTC", async () => {
    const user = await t.newUser("far-away");
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
      const created = await ok(user.gql, "createApiToken", { name: "an hour", expiresAt });
      const expiring = t.client(created.token);
      expect((await viewer(expiring)).name).toBe("far-away");
      const token = (await viewer(user.gql)).apiTokens.find((row) => row.name === "an hour");
      expect(token?.expiresAt).toBe(expiresAt);

      const past = await ok(user.gql, "createApiToken", {
        name: "soon",
        expiresAt: new Date(Date.now() + 1500).toISOString(),
      });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await t.client(past.token)("{ viewer { name } }")).status).toBe(401);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("stores tokens only as their SHA-256", async () => {
    const user = await t.newUser("hashed");
    const created = await ok(user.gql, "createApiToken", { name: "scan me" });
    await t.vault.close();
    const bytes = t.databaseBytes();
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from(user.token))).toBe(false);
    expect(bytes.includes(Buffer.from(created.token))).toBe(false);
    expect(bytes.includes(Buffer.from(created.token.slice(4, 36)))).toBe(false);
  });
});

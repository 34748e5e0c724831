// The console's sign-in: an API token exchanged for a session cookie (HttpOnly, SameSite=Strict),
// accepted only with the CSRF header, ended by signing out, by the token's revocation and by 12
// hours unused; the session's secret is never stored. And the console's files: served at / with
// a strict Content-Security-Policy, assets cached, the page not.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { ok } from "../../helpers/operations.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";
import { mistyped } from "../../helpers/tokens.ts";

let t: TestVault;
afterEach(() => t?.close());

const CSRF = { "x-agent-vault-csrf": "1" };

async function signIn(token: string, headers: Record<string, string> = CSRF) {
  return t.vault.yoga.fetch("http://vault.test/console/session", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
}

function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie") ?? "";
  return header.split(";")[0] as string;
}

async function viewerWith(cookie: string, headers: Record<string, string> = CSRF) {
  const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", cookie, ...headers },
    body: JSON.stringify({ query: "{ viewer { name token { name } } }" }),
  });
  return { status: response.status, body: await response.json() };
}

describe("console sessions", () => {
  it("exchange a token for an HttpOnly, SameSite=Strict cookie that works with the CSRF header only", async () => {
    t = await startTestVault();
    const user = await t.newUser("ada");
    const response = await signIn(user.token);
    expect(response.status).toBe(200);
    const header = response.headers.get("set-cookie") ?? "";
    expect(header).toMatch(/^agent_vault_session=avs_[\w-]{40,}; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(header).not.toContain(user.token);
    expect(await response.text()).not.toContain(user.token);

    const cookie = cookieOf(response);
    const signedIn = await viewerWith(cookie);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.data.viewer.name).toBe("ada");

    // A cross-site form post carries the cookie (were SameSite ignored) but no custom header.
    const forged = await viewerWith(cookie, {});
    expect(forged.status).toBe(403);
    expect(forged.body.errors[0].extensions.code).toBe("CSRF_HEADER_MISSING");
    expect(forged.body.data ?? null).toBeNull();
  });

  it("refuse a wrong token in words about what was pasted, naming no setting", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const cut = user.token.slice(0, -2);
    const answers = await Promise.all(
      [cut, "sk-ant-not-a-vault-token", "avr_x"].map(async (token) => (await (await signIn(token)).json()).error),
    );
    expect(answers[0].message).toBe("This API token is mistyped or cut short: its checksum does not match");
    expect(answers[1].message).toBe("This is not an API token: API tokens start with avt_");
    for (const answer of answers) {
      expect(answer.code).toBe("UNAUTHENTICATED");
      expect(answer.message).not.toMatch(/AGENT_VAULT|environment/);
    }
    // A program that reads its token from a setting is still told which one.
    const program = await t.client(cut)("{ viewer { name } }");
    expect(program.errors?.[0]?.message).toContain("(check AGENT_VAULT_TOKEN)");
  });

  it("are what GraphiQL uses when the browser has one, with a welcome about this vault", async () => {
    t = await startTestVault();
    const user = await t.newUser("grace");
    const cookie = cookieOf(await signIn(user.token));
    const page = async (headers: Record<string, string>) => {
      const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
        headers: { accept: "text/html", ...headers },
      });
      return { html: await response.text(), csp: response.headers.get("content-security-policy") ?? "" };
    };
    const signedOut = await page({});
    expect(signedOut.html).toContain("Paste an API token (avt_...) into the Headers tab");
    expect(signedOut.html).toContain("paste your API token here");
    const signedIn = await page({ cookie });
    expect(signedIn.html).toContain("Signed in through the console: these requests use its session");
    expect(signedIn.html).not.toContain("paste your API token here");
    expect(signedIn.html).toContain("x-agent-vault-csrf");
    expect(signedIn.html).not.toContain(cookie.split("=")[1] as string);
    // Each page's inline scripts are allowed by the policy it is served with.
    for (const { html, csp } of [signedOut, signedIn, await page({})]) {
      const scripts = [...html.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);
      for (const script of scripts.filter((text) => text.trim())) {
        expect(csp).toContain(`'sha256-${createHash("sha256").update(script).digest("base64")}'`);
      }
    }
    // What GraphiQL then sends: the cookie and the CSRF header, no token.
    expect((await viewerWith(cookie)).body.data.viewer.name).toBe("grace");
  });

  it("are Secure over HTTPS", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const response = await t.vault.yoga.fetch("https://vault.test/console/session", {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body: JSON.stringify({ token: user.token }),
    });
    expect(response.headers.get("set-cookie")).toMatch(/; Secure$/);
  });

  it("refuse a bad token, a missing body and a sign-in without the CSRF header", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const bad = await signIn(mistyped(user.token));
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    expect((await bad.json()).error.code).toBe("UNAUTHENTICATED");

    const noCsrf = await signIn(user.token, {});
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.headers.get("set-cookie")).toBeNull();

    const empty = await t.vault.yoga.fetch("http://vault.test/console/session", {
      method: "POST",
      headers: { "content-type": "application/json", ...CSRF },
      body: "{}",
    });
    expect(empty.status).toBe(400);
  });

  it("end on the server when signed out: the old cookie no longer works", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const cookie = cookieOf(await signIn(user.token));
    const forged = await t.vault.yoga.fetch("http://vault.test/console/session", {
      method: "DELETE",
      headers: { cookie },
    });
    expect(forged.status).toBe(403);
    expect((await viewerWith(cookie)).status).toBe(200);
    const out = await t.vault.yoga.fetch("http://vault.test/console/session", {
      method: "DELETE",
      headers: { cookie, ...CSRF },
    });
    expect(out.status).toBe(204);
    expect(out.headers.get("set-cookie")).toMatch(/^agent_vault_session=; .*Max-Age=0/);
    const after = await viewerWith(cookie);
    expect(after.status).toBe(401);
    expect(after.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("end their open streams when signed out", async () => {
    t = await startTestVault({ streamRecheckMs: 100 });
    const user = await t.newUser();
    const cookie = cookieOf(await signIn(user.token));
    const stream = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", cookie, ...CSRF },
      body: JSON.stringify({ query: "subscription { restartNeeded { agentId } }" }),
    });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    await t.vault.yoga.fetch("http://vault.test/console/session", { method: "DELETE", headers: { cookie, ...CSRF } });
    let text = "";
    const deadline = Date.now() + 5000;
    while (!text.includes("event: complete") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain("UNAUTHENTICATED");
  });

  it("end when their token is revoked elsewhere", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const other = await ok(user.gql, "createApiToken", { name: "console" });
    const cookie = cookieOf(await signIn(other.token));
    expect((await viewerWith(cookie)).status).toBe(200);
    await ok(user.gql, "revokeApiToken", { id: other.apiToken.id });
    expect((await viewerWith(cookie)).status).toBe(401);
  });

  it("end after the idle limit", async () => {
    t = await startTestVault({ sessionIdleMs: 300 });
    const user = await t.newUser();
    const cookie = cookieOf(await signIn(user.token));
    expect((await viewerWith(cookie)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect((await viewerWith(cookie)).status).toBe(401);
  });

  it("act as their token: its scopes, its name in the activity log", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const reader = await ok(user.gql, "createApiToken", { name: "read-only", scopes: ["ENTRIES_READ"] });
    const cookie = cookieOf(await signIn(reader.token));
    const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", cookie, ...CSRF },
      body: JSON.stringify({
        query:
          'mutation { addVariable(input: {name: "X", value: "1"}) { __typename ... on ForbiddenError { scope } } }',
      }),
    });
    const body = await response.json();
    expect(body.data.addVariable).toEqual({ __typename: "ForbiddenError", scope: "ENTRIES_WRITE" });
  });

  it("store only a keyed hash of the cookie's secret", async () => {
    t = await startTestVault();
    const user = await t.newUser();
    const secret = cookieOf(await signIn(user.token)).split("=")[1] as string;
    expect(findMarkers(await t.databaseBytes(), [secret, secret.slice(4)])).toEqual([]);
  });
});

describe("console files", () => {
  it("serve the page at / and at its routes, never cached, under a strict policy", async () => {
    t = await startTestVault();
    for (const route of ["/", "/agents", "/agents/some-id", "/activity", "/tokens"]) {
      const response = await t.vault.yoga.fetch(`http://vault.test${route}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("cache-control")).toBe("no-store");
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("script-src 'self'");
      expect(policy).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(policy).toContain("frame-ancestors 'none'");
      expect(response.headers.get("referrer-policy")).toBe("no-referrer");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
  });

  it("serve hashed assets with long-lived cache headers, and 404 for unknown ones", async () => {
    t = await startTestVault();
    const html = await (await t.vault.yoga.fetch("http://vault.test/")).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toMatch(/\/assets\/index-[\w-]+\.js$/);
    const asset = await t.vault.yoga.fetch(`http://vault.test${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const missing = await t.vault.yoga.fetch("http://vault.test/assets/nope-123.js");
    expect(missing.status).toBe(404);
    const traversal = await t.vault.yoga.fetch("http://vault.test/assets/../../package.json");
    expect(traversal.status).not.toBe(200);
  });

  it("leave GraphiQL at /graphql", async () => {
    t = await startTestVault();
    const response = await t.vault.yoga.fetch("http://vault.test/graphql", { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("GraphiQL");
  });
});

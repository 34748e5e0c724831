// The `agent-vault` CLI as a script uses it: --json output, values on standard input, exit codes.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newServerEnv, runCli, startServer } from "./helpers/processes.ts";

let dataDir: string;
let server: Awaited<ReturnType<typeof startServer>>;
let env: Record<string, string>;
let serverEnv: Record<string, string>;
let drop: () => Promise<void>;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "agent-vault-cli-"));
  const vault = await newServerEnv(dataDir);
  drop = vault.drop;
  const base = vault.env;
  serverEnv = base;
  const created = await runCli(["user", "create", "--name", "cli", "--json"], base);
  server = await startServer(base);
  env = { AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_TOKEN: JSON.parse(created.stdout).token };
});
afterAll(async () => {
  await server.stop();
  await drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const cli = (args: string[], input?: string) => runCli(args, env, input);
const json = async (args: string[], input?: string) => {
  const run = await cli([...args, "--json"], input);
  expect(run.stderr, `${args.join(" ")}: ${run.stderr}`).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
};

describe("the CLI", () => {
  it("adds a secret from stdin, attaches it, is refused deleting it, detaches and deletes", async () => {
    const value = `sk-cli-${randomBytes(8).toString("hex")}`;
    const secret = await json(["secrets", "add", "OPENAI_API_KEY"], `${value}\n`);
    expect(secret).toMatchObject({ name: "OPENAI_API_KEY", version: 1 });
    expect(JSON.stringify(secret)).not.toContain(value);

    const agent = await json(["agents", "create", "cli-bot", "--entry", "openai_api_key"]);
    expect(agent.entries.map((e: { name: string }) => e.name)).toEqual(["OPENAI_API_KEY"]);

    const refused = await cli(["secrets", "delete", "OPENAI_API_KEY", "--json"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cli-bot");
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      type: "EntryInUseError",
      code: "ENTRY_IN_USE",
      agents: [{ id: agent.id, name: "cli-bot" }],
    });

    const detached = await json(["agents", "detach", "cli-bot", "OPENAI_API_KEY"]);
    expect(detached.entries).toEqual([]);
    expect(await json(["secrets", "delete", "OPENAI_API_KEY"])).toEqual({ id: secret.id, name: "OPENAI_API_KEY" });
    expect(await json(["secrets", "list"])).toEqual([]);
  });

  it("updates with restart state, and refuses a stale --expected-version", async () => {
    await json(["variables", "add", "REGION", "eu-west-1"]);
    await json(["agents", "create", "region-bot", "--entry", "REGION"]);
    const updated = await json(["variables", "update", "REGION"], "us-east-1\n");
    expect(updated).toMatchObject({ value: "us-east-1", version: 2 });
    const [agent] = (await json(["agents", "list"])).filter((a: { name: string }) => a.name === "region-bot");
    expect(agent).toMatchObject({ restartRequired: true, pendingChanges: [{ name: "REGION", change: "UPDATED" }] });
    expect((await json(["agents", "restart", "region-bot"])).restartRequired).toBe(false);

    const stale = await cli(["variables", "update", "REGION", "x", "--expected-version", "1", "--json"]);
    expect(stale.code).toBe(1);
    expect(JSON.parse(stale.stdout).error).toMatchObject({ code: "VERSION_CONFLICT", currentVersion: 2 });
  });

  it("prints readable tables without --json", async () => {
    await json(["secrets", "add", "TABLE_KEY"], "v");
    const list = await cli(["secrets", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+VERSION\s+FINGERPRINT\s+USED BY\s+UPDATED/);
    expect(list.stdout).toContain("TABLE_KEY");
  });

  it("creates, lists and revokes tokens", async () => {
    const created = await json(["tokens", "create", "deploy"]);
    expect(created.token).toMatch(/^avt_/);
    const listed = await json(["tokens", "list"]);
    expect(JSON.stringify(listed)).not.toContain(created.token);
    await json(["tokens", "revoke", created.apiToken.id]);
    const refused = await runCli(["secrets", "list"], { ...env, AGENT_VAULT_TOKEN: created.token });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/revoked|Invalid/);
  });

  it("exits 1 on a refused operation and 2 on usage errors", async () => {
    expect((await cli(["secrets", "add", "PATH"], "v")).code).toBe(1);
    expect((await cli(["secrets", "add", "EMPTY"], "")).code).toBe(1);
    expect((await cli(["agents", "restart", "nobody"])).code).toBe(1);
    expect((await cli(["secrets"])).code).toBe(2);
    expect((await cli(["secrets", "frobnicate"])).code).toBe(2);
    expect((await cli(["secrets", "add"])).code).toBe(2);
    expect((await runCli(["secrets", "list"], { AGENT_VAULT_URL: env.AGENT_VAULT_URL })).code).toBe(2);
  });

  it("imports a .env file: plan, refusal without --yes, stdin, bad lines", async () => {
    const file = path.join(dataDir, "import.env");
    writeFileSync(file, "IMPORTED_A=1\nIMPORTED_B='two'\n");
    const plan = await json(["import", file, "--dry-run"]);
    expect(plan).toEqual({
      created: ["IMPORTED_A", "IMPORTED_B"],
      updated: [],
      unchanged: [],
      skipped: [],
      conflicts: [],
      applied: false,
    });
    const table = await cli(["import", file, "--dry-run"]);
    expect(table.stdout).toMatch(/IMPORTED_A\s+create/);
    expect(table.stdout).toContain("nothing was written");

    const unasked = await cli(["import", file]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain("--yes");

    const applied = await json(["import", "-", "--yes", "--variables"], "IMPORTED_A=1\nIMPORTED_B=two\n");
    expect(applied.applied).toBe(true);
    expect((await json(["variables", "list"])).map((v: { name: string }) => v.name)).toEqual(
      expect.arrayContaining(["IMPORTED_A", "IMPORTED_B"]),
    );
    const again = await json(["import", file, "--yes", "--variables", "--on-conflict", "skip"]);
    expect(again).toMatchObject({ created: [], unchanged: ["IMPORTED_A", "IMPORTED_B"] });
    // The same names as secrets: never turned from variables into secrets.
    const otherKind = await json(["import", file, "--dry-run"]);
    expect(otherKind).toMatchObject({ created: [], conflicts: ["IMPORTED_A", "IMPORTED_B"] });
    const refused = await cli(["import", file, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("never turns a variable into a secret");

    const bad = await cli(["import", "-", "--yes", "--json"], "GOOD=1\nno equals here\n");
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: "ENV_PARSE", lines: [{ line: 2 }] });
    expect((await cli(["import", file, "--on-conflict", "maybe"])).code).toBe(2);
  });

  it("never takes a secret's value as an argument", async () => {
    const run = await cli(["secrets", "add", "ARGV_KEY", "sk-on-the-command-line"]);
    expect(run.code).toBe(2);
    expect((await cli(["secrets", "list", "--json"])).stdout).not.toContain("ARGV_KEY");
  });
});

describe("API tokens from the CLI", () => {
  /** A user of its own, whose only token is the one the commands run with. */
  async function newUser(name: string) {
    const created = JSON.parse((await runCli(["user", "create", "--name", name, "--json"], serverEnv)).stdout);
    const userEnv = { AGENT_VAULT_URL: env.AGENT_VAULT_URL as string, AGENT_VAULT_TOKEN: created.token as string };
    return {
      userEnv,
      as: (args: string[], input?: string, token?: string) =>
        runCli(args, token ? { ...userEnv, AGENT_VAULT_TOKEN: token } : userEnv, input),
    };
  }

  it("creates a token with only the scopes asked for, until when asked, and never more than its creator's", async () => {
    const { as } = await newUser("scoped");
    const run = await as([
      "tokens",
      "create",
      "ci",
      "--scope",
      "entries:write",
      "--scope",
      "agents:read,tokens:manage",
      "--expires",
      "30d",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(0);
    const created = JSON.parse(run.stdout);
    expect(created.apiToken.scopes.sort()).toEqual(["AGENTS_READ", "ENTRIES_WRITE", "TOKENS_MANAGE"]);
    const days = (Date.parse(created.apiToken.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThan(30.1);

    expect((await as(["secrets", "add", "CI_KEY"], "value\n", created.token)).code).toBe(0);
    const listing = await as(["secrets", "list"], undefined, created.token);
    expect(listing.code).toBe(1);
    expect(listing.stderr).toContain("ENTRIES_READ");
    const escalation = await as(["tokens", "create", "more", "--scope", "entries:read"], undefined, created.token);
    expect(escalation.code).toBe(1);
    expect(escalation.stderr).toContain("ENTRIES_READ");

    const table = await as(["tokens", "list"]);
    expect(table.stdout).toMatch(/ci\s+entries:write,agents:read,tokens:manage\s/);
    const unknown = await as(["tokens", "create", "x", "--scope", "secrets:everything"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("entries:read");
    expect((await as(["tokens", "create", "x", "--expires", "someday"])).code).toBe(2);
  });

  it("revokes by name, asks before revoking the token in use, and keeps the last one without --force", async () => {
    const { as, userEnv } = await newUser("careful");
    const first = JSON.parse((await as(["tokens", "create", "twin", "--json"])).stdout);
    const second = JSON.parse((await as(["tokens", "create", "twin", "--json"])).stdout);
    const ambiguous = await as(["tokens", "revoke", "twin"]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(first.apiToken.id);
    expect(ambiguous.stderr).toContain(second.apiToken.id);
    expect((await as(["tokens", "revoke", first.apiToken.id])).code).toBe(0);
    // The other twin is now the only working token named so.
    const byName = await as(["tokens", "revoke", "twin", "--json"]);
    expect(byName.code, byName.stderr).toBe(0);
    expect(JSON.parse(byName.stdout)).toMatchObject({ id: second.apiToken.id, revokedAt: expect.any(String) });

    // Two working tokens left: the one in use and a spare.
    const spare = JSON.parse((await as(["tokens", "create", "spare", "--json"])).stdout);
    const tokens: { id: string; name: string; revokedAt: string | null }[] = JSON.parse(
      (await as(["tokens", "list", "--json"])).stdout,
    );
    const inUse = tokens.find((t) => !t.revokedAt && t.name !== "spare") as { id: string };
    const unasked = await as(["tokens", "revoke", inUse.id]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain("the token this command runs with");
    expect(unasked.stderr).toContain("--yes");
    expect((await as(["tokens", "list"])).code).toBe(0);

    // From the spare, the token just refused is no longer in use, and can go; then the spare is the last.
    expect((await as(["tokens", "revoke", inUse.id], undefined, spare.token)).code).toBe(0);
    const last = await as(["tokens", "revoke", "spare", "--yes"], undefined, spare.token);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain("last working API token");
    expect(last.stderr).toContain("--force");
    const forced = await as(["tokens", "revoke", "spare", "--yes", "--force"], undefined, spare.token);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await as(["secrets", "list"], undefined, spare.token)).code).toBe(1);

    // The way back in: the operator issues a new token where the server's configuration is.
    const issued = await runCli(["user", "token", "--user", "careful", "--json"], serverEnv);
    expect(issued.code, issued.stderr).toBe(0);
    const back = await runCli(["secrets", "list"], { ...userEnv, AGENT_VAULT_TOKEN: JSON.parse(issued.stdout).token });
    expect(back.code, back.stderr).toBe(0);
  });
});

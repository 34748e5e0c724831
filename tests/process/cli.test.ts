// The `agent-vault` CLI as a script uses it: --json output, values on standard input, exit codes.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directSql } from "../helpers/database.ts";
import {
  BIN,
  cleanEnv,
  eventually,
  hasCommand,
  newServerEnv,
  runCli,
  spawnCli,
  startServer,
  track,
} from "../helpers/processes.ts";
import { mistyped } from "../helpers/tokens.ts";

let dataDir: string;
let server: Awaited<ReturnType<typeof startServer>>;
let env: Record<string, string>;
let serverEnv: Record<string, string>;
let drop: () => Promise<void>;
let databaseUrl: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "agent-vault-cli-"));
  const vault = await newServerEnv(dataDir);
  drop = vault.drop;
  databaseUrl = vault.databaseUrl;
  const base = vault.env;
  serverEnv = base;
  const created = await runCli(["user", "create", "--name", "cli", "--json"], base);
  // A provider that cannot be reached, for providers check.
  server = await startServer({ ...base, AGENT_VAULT_ANTHROPIC_BASE_URL: "http://127.0.0.1:9" });
  env = {
    AGENT_VAULT_URL: `${server.url}/graphql`,
    AGENT_VAULT_TOKEN: JSON.parse(created.stdout).token,
    AGENT_VAULT_CONFIG_DIR: path.join(dataDir, "config"),
  };
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
  // A terminal of its own (script(1) gives the CLI a pty), where Ctrl+C reaches it as a person types it.
  it.runIf(hasCommand("script"))("takes Ctrl+C at the import question with one line, and imports nothing", async () => {
    const file = path.join(dataDir, "ctrl-c.env");
    writeFileSync(file, "CTRL_C_ONE=1\nCTRL_C_TWO=2\n");
    const command = [process.execPath, BIN, "import", file].map((part) => JSON.stringify(part)).join(" ");
    const terminal = track(spawn("script", ["-q", "-e", "-c", command, "/dev/null"], { env: cleanEnv(env) }));
    let shown = "";
    terminal.stdout.on("data", (chunk) => {
      shown += chunk;
    });
    const exited = new Promise<number | null>((resolve) => terminal.on("exit", resolve));
    await eventually(() => shown.includes("Import? [y/N]"), `the question; ${shown}`);
    terminal.stdin.write("\x03");
    expect(await exited).toBe(130);
    expect(shown).toContain("agent-vault: interrupted: nothing was imported");
    expect(shown).not.toMatch(/\n\s+at /);
    const listed = await json(["variables", "list"]);
    expect(JSON.stringify(listed)).not.toContain("CTRL_C_ONE");
  });

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
    expect(list.stdout).toMatch(/^NAME\s+DELIVERY\s+VERSION\s+FINGERPRINT\s+USED BY\s+UPDATED/);
    expect(list.stdout).toMatch(/TABLE_KEY\s+environment\s+1\s/);
    expect(list.stdout).toContain("TABLE_KEY");
    const searched = await json(["secrets", "list", "--search", "table_k"]);
    expect(searched.map((entry: { name: string }) => entry.name)).toEqual(["TABLE_KEY"]);
    expect(await json(["secrets", "list", "--search", "no-such-name"])).toEqual([]);
  });

  it("lists in the vault's order of a column, ascending or descending, and refuses an unknown column", async () => {
    await json(["variables", "add", "SORT_B", "1"]);
    await json(["variables", "add", "SORT_A", "1"]);
    await json(["variables", "update", "SORT_B"], "2\n");
    const names = async (args: string[]) =>
      (await json(["variables", "list", "--search", "sort_", ...args])).map((entry: { name: string }) => entry.name);
    expect(await names([])).toEqual(["SORT_A", "SORT_B"]);
    expect(await names(["--sort", "version", "--desc"])).toEqual(["SORT_B", "SORT_A"]);
    expect(await names(["--sort", "updated", "--desc"])).toEqual(["SORT_B", "SORT_A"]);
    expect(await names(["--desc"])).toEqual(["SORT_B", "SORT_A"]);
    const refused = await cli(["variables", "list", "--sort", "colour"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("colour");
  });

  it("lists more entries than a page and a write hold as one JSON array, each once, in order", async () => {
    const lines = Array.from({ length: 700 }, (_, i) => `BULK_${String(i).padStart(3, "0")}=${"v".repeat(i % 50)}`);
    await json(["import", "-", "--yes", "--variables"], `${lines.join("\n")}\n`);
    const run = await cli(["variables", "list", "--search", "bulk_", "--json"]);
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout) as { name: string; value: string }[];
    expect(listed.map((entry) => entry.name)).toEqual(lines.map((line) => line.split("=")[0]));
    expect(listed[49]?.value).toBe("v".repeat(49));
    // The same text as one JSON.stringify of the whole list.
    expect(run.stdout).toBe(`${JSON.stringify(listed, null, 2)}\n`);
    expect(run.stdout.length).toBeGreaterThan(128 * 1024);
  });

  it("limits an agent's brokered requests, lists its limits and usage, and removes a limit", async () => {
    await json(
      ["secrets", "add", "LIMITED_CLI_KEY", "--brokered", "--upstream", "https://api.example.com/v1"],
      "cli-limited-value",
    );
    await json(["agents", "create", "limited-bot", "--entry", "LIMITED_CLI_KEY"]);
    const set = await json(["agents", "limit", "limited-bot", "--cost", "5/day", "--requests", "60/minute"]);
    expect(set).toEqual([
      expect.objectContaining({ window: "MINUTE", maxRequests: 60, maxCostUsd: null }),
      expect.objectContaining({ window: "DAY", maxCostUsd: 5, maxRequests: null }),
    ]);
    const secretOnly = await cli([
      "agents",
      "limit",
      "limited-bot",
      "--tokens",
      "1000/hour",
      "--secret",
      "LIMITED_CLI_KEY",
    ]);
    expect(secretOnly.code).toBe(0);
    expect(secretOnly.stdout).toMatch(/Limited agent limited-bot: 1000 tokens per hour through LIMITED_CLI_KEY/);
    const table = await cli(["agents", "limits", "limited-bot"]);
    expect(table.stdout).toMatch(/^ID\s+SECRET\s+WINDOW\s+REQUESTS\s+TOKENS\s+COST\s+RESETS/);
    expect(table.stdout).toMatch(/\(all\)\s+day\s+-\s+-\s+\$0\.0000\/\$5\.00/);
    expect(table.stdout).toMatch(/\(all\)\s+minute\s+0\/60\s/);
    expect(table.stdout).toMatch(/LIMITED_CLI_KEY\s+hour\s+-\s+0\/1000\s/);
    const bad = await cli(["agents", "limit", "limited-bot", "--cost", "5 per day"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--cost is an amount per window");
    const none = await cli(["agents", "limit", "limited-bot"]);
    expect(none.code).toBe(2);
    expect(await json(["agents", "unlimit", set[1].id])).toEqual({ id: set[1].id });
    expect((await json(["agents", "limits", "limited-bot"])).map((l: { id: string }) => l.id)).not.toContain(set[1].id);
    const usage = await cli(["agents", "usage", "limited-bot", "--days", "7"]);
    expect(usage.stdout).toContain("Agent limited-bot made no brokered requests in the last 7 days.");
    expect(await json(["agents", "usage", "limited-bot"])).toEqual([]);
    const list = await cli(["agents", "list"]);
    expect(list.stdout).toMatch(/limited-bot\s.*\$0\.00/);
  });

  it("adds a brokered secret and connects a brokered provider key, and lists their delivery", async () => {
    const secret = await json(
      [
        "secrets",
        "add",
        "BROKERED_CLI_KEY",
        "--brokered",
        "--upstream",
        "https://api.example.com/v1",
        "--header",
        "Authorization: Bearer {value}",
        "--base-url-variable",
        "EXAMPLE_BASE_URL",
      ],
      "cli-brokered-value",
    );
    expect(secret).toMatchObject({
      delivery: "BROKERED",
      upstream: {
        baseUrl: "https://api.example.com/v1",
        header: "authorization",
        template: "Bearer {value}",
        baseUrlVariable: "EXAMPLE_BASE_URL",
      },
    });
    const list = await cli(["secrets", "list"]);
    expect(list.stdout).toMatch(/BROKERED_CLI_KEY\s+brokered → https:\/\/api\.example\.com\/v1/);
    expect(list.stdout).not.toContain("cli-brokered-value");
    const missing = await cli(["secrets", "add", "NO_UPSTREAM", "--brokered"], "v");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--upstream");
    const refused = await cli(["secrets", "add", "HTTP_UPSTREAM", "--upstream", "http://api.example.com"], "v");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("https");
    const connected = await cli(["providers", "connect", "openrouter", "--brokered"], "sk-or-cli-brokered");
    expect(connected.code).toBe(0);
    expect(connected.stdout).toContain("OPENROUTER_BASE_URL");
    const cards = await json(["providers", "list"]);
    expect(cards.find((card: { provider: string }) => card.provider === "OPENROUTER")?.delivery).toBe("BROKERED");
    expect((await cli(["providers", "disconnect", "openrouter"])).code).toBe(0);
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
      id: null,
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
    // Some lines as variables (--variables NAME,NAME), the rest as secrets.
    const mixed = await json(
      ["import", "-", "--yes", "--variables", "MIXED_LEVEL,MIXED_MODE"],
      "MIXED_KEY=sk-mixed\nMIXED_LEVEL=info\nMIXED_MODE=\n",
    );
    expect(mixed).toMatchObject({ created: ["MIXED_KEY", "MIXED_LEVEL", "MIXED_MODE"], applied: true });
    const variableNames = (await json(["variables", "list"])).map((v: { name: string }) => v.name);
    expect(variableNames).toEqual(expect.arrayContaining(["MIXED_LEVEL", "MIXED_MODE"]));
    expect(variableNames).not.toContain("MIXED_KEY");
    expect((await json(["secrets", "list"])).map((v: { name: string }) => v.name)).toContain("MIXED_KEY");
    const typo = await cli(["import", "-", "--yes", "--variables", "TYPO_LEVL"], "TYPO_KEY=1\nTYPO_LEVEL=2\n");
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("TYPO_LEVL is not in the file");
    const notNames = await cli(["import", "-", "--yes", "--variables", "A,./x.env"], "A=1\n");
    expect(notNames.code).toBe(2);
    expect(notNames.stderr).toContain("the file goes before --variables");

    const bad = await cli(["import", "-", "--yes", "--json"], "GOOD=1\nno equals here\n");
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error).toMatchObject({ code: "ENV_PARSE", lines: [{ line: 2 }] });
    expect((await cli(["import", file, "--on-conflict", "maybe"])).code).toBe(2);
  });

  it("undoes an import: says what it will do, asks, and leaves the vault as before it", async () => {
    await json(["variables", "add", "UNDO_LEVEL", "info"]);
    const imported = await cli(
      ["import", "-", "--yes", "--variables", "--on-conflict", "overwrite"],
      "UNDO_LEVEL=debug\nUNDO_NEW=1\n",
    );
    expect(imported.code).toBe(0);
    const id = /agent-vault import undo (\S+)/.exec(imported.stdout)?.[1] as string;
    expect(id).toBeTruthy();

    const plan = await cli(["import", "undo", id, "--dry-run"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/UNDO_NEW\s+delete/);
    expect(plan.stdout).toMatch(/UNDO_LEVEL\s+restore the value from before the import/);
    const unasked = await cli(["import", "undo", id]);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain("--yes");

    expect(await json(["import", "undo", id, "--yes"])).toEqual({
      id,
      deleted: ["UNDO_NEW"],
      restored: ["UNDO_LEVEL"],
      notUndone: [],
      complete: true,
    });
    const variables = await json(["variables", "list"]);
    expect(variables.find((v: { name: string }) => v.name === "UNDO_LEVEL")).toMatchObject({ value: "info" });
    expect(variables.map((v: { name: string }) => v.name)).not.toContain("UNDO_NEW");
    const again = await cli(["import", "undo", id, "--yes"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("undone already");
    // undo needs the import's id.
    expect((await cli(["import", "undo"])).code).toBe(2);
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

describe("a newcomer's sharp edges", () => {
  it("imports: a missing file, bytes that are not UTF-8, empty secrets, in one line each", async () => {
    const missing = await cli(["import", path.join(dataDir, "missing.env"), "--yes"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`agent-vault: Cannot read ${path.join(dataDir, "missing.env")}: no such file`);

    const latin1 = path.join(dataDir, "latin1.env");
    writeFileSync(latin1, Buffer.concat([Buffer.from("GOOD=1\nCAFE=caf"), Buffer.from([0xe9]), Buffer.from("\n")]));
    const notUtf8 = await cli(["import", latin1, "--yes", "--variables"]);
    expect(notUtf8.code).toBe(1);
    expect(notUtf8.stderr).toContain("is not UTF-8 text (line 2)");
    expect(await json(["variables", "list"])).not.toContainEqual(expect.objectContaining({ name: "GOOD" }));

    const empty = path.join(dataDir, "empty.env");
    writeFileSync(empty, "FILLED_SECRET=yes\nEMPTY_SECRET=\n");
    const refused = await cli(["import", empty, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Line 2 gives a secret an empty value");
    expect(refused.stderr).toContain("--skip-empty");
    const skipped = await json(["import", empty, "--yes", "--skip-empty"]);
    expect(skipped).toMatchObject({ created: ["FILLED_SECRET"], skipped: ["EMPTY_SECRET"], applied: true });
  });

  it("asks before replacing a provider key that agents use, says who must restart, and fails a check it could not make", async () => {
    const first = await cli(["providers", "connect", "anthropic"], `sk-ant-${"a".repeat(40)}\n`);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).not.toContain("Restart needed");
    await json(["agents", "create", "claude-bot", "--entry", "ANTHROPIC_API_KEY"]);

    const unasked = await cli(["providers", "connect", "anthropic"], `sk-ant-${"b".repeat(40)}\n`);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain("used by claude-bot");
    expect(unasked.stderr).toContain("--yes");
    const replaced = await cli(["providers", "connect", "anthropic", "--yes"], `sk-ant-${"c".repeat(40)}\n`);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain("Restart needed: claude-bot.");

    const check = await cli(["providers", "check", "anthropic"]);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain("ANTHROPIC could not be reached");

    const notConnected = await cli(["providers", "disconnect", "openrouter"]);
    expect(notConnected.code).toBe(0);
    expect(notConnected.stdout).toContain("OPENROUTER is not connected: there is nothing to disconnect.");
    await json(["agents", "delete", "claude-bot"]);
    const gone = await cli(["providers", "disconnect", "anthropic"]);
    expect(gone.stdout).toContain("Disconnected ANTHROPIC: ANTHROPIC_API_KEY was deleted.");
  });

  it("names the address it tried, and the one it should have", async () => {
    const port = new URL(env.AGENT_VAULT_URL as string).port;
    const nowhere = await runCli(["secrets", "list"], { ...env, AGENT_VAULT_URL: "http://127.0.0.1:9/graphql" });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain("Cannot reach the vault at http://127.0.0.1:9/graphql");
    const unset = await runCli(["secrets", "list"], { AGENT_VAULT_TOKEN: env.AGENT_VAULT_TOKEN });
    expect(unset.stderr).toContain("http://localhost:4000/graphql");
    const noPath = await runCli(["secrets", "list"], { ...env, AGENT_VAULT_URL: `http://127.0.0.1:${port}` });
    expect(noPath.code).toBe(1);
    expect(noPath.stderr).toContain(`the API is at http://127.0.0.1:${port}/graphql`);
  });

  it("says what is wrong with a token: a runtime token as an API token, a mistyped one, a deleted agent's", async () => {
    const agent = await json(["agents", "create", "short-lived"]);
    const { token: runtimeToken } = await json(["agents", "token", "short-lived"]);
    const asApi = await runCli(["secrets", "list"], { ...env, AGENT_VAULT_TOKEN: runtimeToken });
    expect(asApi.stderr).toContain("This is a runtime token (avr_...): it is for agent-vault run only");
    const run = (token: string) =>
      runCli(["run", "--", process.execPath, "-e", "0"], {
        AGENT_VAULT_URL: env.AGENT_VAULT_URL,
        AGENT_VAULT_RUNTIME_TOKEN: token,
      });
    expect((await run(mistyped(runtimeToken))).stderr).toContain("This runtime token is mistyped or cut short");
    await json(["agents", "delete", agent.id]);
    const deleted = await run(runtimeToken);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toContain("Unknown runtime token: it was never issued here, or its agent was deleted");
  });

  it("prints its version, and lists every command group in its help", async () => {
    const version = await runCli(["--version"], {});
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await runCli(["--help"], {});
    for (const group of [
      "secrets",
      "variables",
      "agents",
      "tokens",
      "import",
      "providers",
      "run",
      "activity",
      "serve",
      "user",
      "keys",
    ]) {
      expect(help.stdout, group).toMatch(new RegExp(`^\\s+${group}\\b`, "m"));
    }
  });
});

describe("history from the CLI", () => {
  it("lists versions, restores one, shows the activity, and verifies its chain until a row is edited", async () => {
    const values = [1, 2, 3].map(() => `sk-hist-${randomBytes(8).toString("hex")}`);
    await json(["secrets", "add", "HISTORY_KEY"], `${values[0]}\n`);
    await json(["secrets", "update", "HISTORY_KEY"], `${values[1]}\n`);
    await json(["secrets", "update", "HISTORY_KEY"], `${values[2]}\n`);
    const restored = await json(["secrets", "restore", "HISTORY_KEY", "--version", "1"]);
    expect(restored).toMatchObject({ name: "HISTORY_KEY", version: 4 });
    const history = await json(["secrets", "history", "HISTORY_KEY"]);
    expect(history.versions.map((row: { version: number }) => row.version)).toEqual([4, 3, 2, 1]);
    expect(history.versions[0].fingerprint).toBe(history.versions[3].fingerprint);
    const table = await cli(["secrets", "history", "HISTORY_KEY"]);
    expect(table.stdout).toMatch(/^4 \(current\)\s+[0-9a-f]{16}\s/m);

    await json(["variables", "add", "HISTORY_VAR", "one"]);
    await json(["variables", "update", "HISTORY_VAR", "two"]);
    const varHistory = await cli(["variables", "history", "HISTORY_VAR"]);
    expect(varHistory.stdout).toMatch(/^1\s+one\s/m);
    expect((await json(["variables", "restore", "HISTORY_VAR", "--version", "1"])).value).toBe("one");

    const events = await json(["activity", "--entry", "HISTORY_KEY"]);
    expect(events.map((event: { action: string }) => event.action)).toEqual([
      "ENTRY_RESTORED",
      "ENTRY_UPDATED",
      "ENTRY_UPDATED",
      "ENTRY_ADDED",
    ]);
    const recent = await cli(["activity", "--since", "1h"]);
    expect(recent.stdout).toMatch(/ENTRY_RESTORED\s+token first token/);
    const output = [JSON.stringify(history), JSON.stringify(events), table.stdout, recent.stdout].join("\n");
    for (const value of values) expect(output).not.toContain(value);

    const verified = await cli(["activity", "verify"]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/verifies: \d+ events checked/);

    const sql = await directSql(databaseUrl);
    try {
      const [event] = await sql.run('SELECT "id", "seq" FROM "ActivityEvent" WHERE "action" = ?', ["ENTRY_RESTORED"]);
      await sql.run('UPDATE "ActivityEvent" SET "entryName" = ? WHERE "id" = ?', ["SOMETHING_ELSE", event?.id]);
      const broken = await cli(["activity", "verify"]);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toContain(`event ${event?.seq} (${event?.id})`);
    } finally {
      await sql.close();
    }
  });

  it("verify keeps the head it confirmed, and fails when the log went back behind it", async () => {
    const created = await runCli(["user", "create", "--name", "rolled-back", "--json"], serverEnv);
    const { token, userId } = JSON.parse(created.stdout);
    const as = { ...env, AGENT_VAULT_TOKEN: token };
    const run = (args: string[]) => runCli(args, as);
    await run(["variables", "add", "FIRST", "1"]);
    const first = await run(["activity", "verify"]);
    expect(first.code).toBe(0);
    const head = /^Head: (\d+:[0-9a-f]{64}) /m.exec(first.stdout)?.[1] as string;
    expect(head).toMatch(/^2:/);
    const sql = await directSql(databaseUrl);
    try {
      const [earlier] = await sql.run('SELECT "seq", "digest", "headMac" FROM "ActivityChain" WHERE "userId" = ?', [
        userId,
      ]);
      await run(["variables", "add", "HIDDEN", "2"]);
      expect((await run(["activity", "verify"])).stdout).toMatch(/^Head: 3:/m);
      // The event removed and the earlier head put back: every MAC matches, but the kept head is gone.
      await sql.run('DELETE FROM "ActivityEvent" WHERE "userId" = ? AND "seq" = 3', [userId]);
      await sql.run('UPDATE "ActivityChain" SET "seq" = ?, "digest" = ?, "headMac" = ? WHERE "userId" = ?', [
        earlier?.seq,
        earlier?.digest,
        earlier?.headMac,
        userId,
      ]);
    } finally {
      await sql.close();
    }
    const rolledBack = await run(["activity", "verify"]);
    expect(rolledBack.code).toBe(1);
    expect(rolledBack.stderr).toMatch(
      /went back: it reached event 3 when it was last verified, and ends at event 2 now/,
    );
    // Elsewhere, with only the printed head: --expect-head.
    const fresh = { ...as, AGENT_VAULT_CONFIG_DIR: path.join(dataDir, "other-config") };
    expect((await runCli(["activity", "verify"], fresh)).code).toBe(0);
    expect((await runCli(["activity", "verify", "--expect-head", head], fresh)).code).toBe(0);
    const wrong = `2:${"0".repeat(64)}`;
    const refused = await runCli(["activity", "verify", "--expect-head", wrong], fresh);
    expect(refused.code).toBe(1);
    expect((await runCli(["activity", "verify", "--expect-head", "nonsense"], fresh)).code).toBe(2);
  });

  it("follows new activity as it happens", async () => {
    const follower = spawnCli(["activity", "--follow", "--json", "--action", "ENTRY_ADDED"], env);
    try {
      // What happened before is printed first; then it waits for more.
      await eventually(() => follower.output.stdout.includes('"action":"ENTRY_ADDED"'), "earlier events printed");
      await json(["variables", "add", "FOLLOWED_VAR", "x"]);
      await eventually(() => follower.output.stdout.includes('"entryName":"FOLLOWED_VAR"'), "the new event printed");
    } finally {
      follower.child.kill();
    }
  });
});

describe("agent-vault run's own variables", () => {
  it("passes its LANG and TERM, and the vault's only to an agent that has them, saying so", async () => {
    await json(["variables", "add", "LANG", "fr_FR.UTF-8"]);
    await json(["agents", "create", "lang-bot", "--entry", "LANG"]);
    await json(["agents", "create", "plain-bot"]);
    const show = [process.execPath, "-e", "console.log(process.env.LANG + ' ' + process.env.TERM)"];
    const runAs = async (agent: string) => {
      const { token } = await json(["agents", "token", agent]);
      return runCli(["run", "--", ...show], {
        AGENT_VAULT_URL: env.AGENT_VAULT_URL,
        AGENT_VAULT_RUNTIME_TOKEN: token,
        LANG: "C.UTF-8",
        TERM: "xterm",
      });
    };
    const withLang = await runAs("lang-bot");
    expect(withLang.stdout.trim()).toBe("fr_FR.UTF-8 xterm");
    expect(withLang.stderr).toContain("LANG comes from the vault: the agent has them");
    const without = await runAs("plain-bot");
    expect(without.stdout.trim()).toBe("C.UTF-8 xterm");
    expect(without.stderr).not.toContain("from the vault");
  });
});

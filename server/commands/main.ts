// The server side of the `agent-vault` command: serve, user, migrate, keys. They run where the
// vault's configuration is, and open the vault's services directly (no GraphQL, no port).
import { Command, CommanderError } from "commander";
import { loadConfig } from "../config.ts";
import { databaseTarget } from "../db/database.ts";
import { applyMigrations } from "../db/migrate.ts";
import { VaultFailure } from "../modules/common/errors.ts";
import type { KeyStatus } from "../modules/keys/keys.service.ts";
import { adoptLegacyRows, findLegacyRows, type LegacyRows } from "../modules/keys/legacy-rows.ts";
import { openVault, type Vault, type VaultConfig } from "../vault.ts";

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
/** Failures whose message is the whole story: said in one line, no stack. */
const EXPECTED = new Set(["MasterKeyError", "ConfigError", "ListenError", "ServeLockError", "LeakPolicyError"]);

async function withVault<T>(work: (vault: Vault) => Promise<T>, options: Partial<VaultConfig> = {}): Promise<T> {
  const vault = await openVault({ ...loadConfig(), ...options });
  try {
    return await work(vault);
  } finally {
    await vault.close();
  }
}

const write = (line: string) => process.stdout.write(`${line}\n`);

function printKeyReport(report: KeyStatus & { rewrapped?: number }, json?: boolean) {
  if (json) return write(JSON.stringify(report));
  const counts = Object.entries(report.byVersion).map(([version, count]) => `version ${version}: ${count}`);
  if (report.rewrapped !== undefined) write(`Rewrapped ${report.rewrapped} values.`);
  write(`Current key version ${report.currentVersion}. Stored values: ${counts.join(", ") || "none"}.`);
  write(
    report.remaining > 0
      ? `${report.remaining} values are left to rewrap.`
      : report.unreadable.length > 0
        ? "Every readable value is under the current key."
        : "Every value is under the current key.",
  );
  for (const item of report.unreadable) {
    write(`Unreadable: the ${item.what} of ${item.name} (entry ${item.entryId}): ${item.reason}.`);
  }
  if (report.tokenHashKeyVersion !== null && report.tokenHashKeyVersion !== report.currentVersion) {
    write(`The token hash key is under key version ${report.tokenHashKeyVersion}: rewrap moves it.`);
  }
  if (report.unkeyedTokens > 0) {
    write(
      `${report.unkeyedTokens} tokens are hashed without a key and authenticate nobody: agent-vault keys adopt lists them.`,
    );
  }
  if (report.legacyValues.length > 0) {
    write(
      `${report.legacyValues.length} values are sealed in the format from before kinds were bound and are refused: agent-vault keys adopt lists them.`,
    );
  }
}

function printLegacyRows(rows: LegacyRows, values: KeyStatus["legacyValues"], adopted: boolean) {
  const total = rows.tokens.length + rows.attachments.length + values.length;
  if (total === 0) return write("Nothing to adopt: every token, attachment and value is bound to this vault.");
  write(
    adopted
      ? `Adopted ${total} rows: they now grant what they say.`
      : `${total} rows grant nothing until adopted. They date from before this vault bound its rows, or someone wrote them into the database: adopt them only if you know where they come from (agent-vault keys adopt --yes).`,
  );
  for (const token of rows.tokens) {
    const what =
      token.kind === "api"
        ? `API token ${token.name} of user ${token.owner} (${token.id}), scopes ${token.scopes}`
        : `runtime token ${token.id} of agent ${token.owner}`;
    write(`  ${what}: no ${token.missing.join(" and no ")}`);
  }
  for (const row of rows.attachments) {
    write(`  attachment of ${row.entryName} (${row.entryId}) to agent ${row.agentName} (${row.agentId}): no binding`);
  }
  for (const value of values) {
    write(`  the ${value.what} of ${value.name} (entry ${value.entryId}): sealed before kinds were bound`);
  }
}

const wholeNumber = (name: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CommanderError(EXIT_USAGE, "agent-vault.usage", `${name} takes a whole number`);
  return n;
};

export function serverProgram(version: string): Command {
  const program = new Command("agent-vault")
    .description("Agent Vault: the server commands")
    .version(version, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command("serve")
    .description("run the vault: GraphQL at /graphql, the runtime channel, health at /healthz")
    .option("--host <address>", "the address to listen on (HOST; default 127.0.0.1, every interface in production)")
    .action(async (options: { host?: string }) =>
      (await import("../main.ts")).serve(options.host ? { ...process.env, HOST: options.host } : process.env),
    );

  const user = program.command("user").description("users (each user is one vault) and their API tokens");
  user
    .command("create")
    .description("create a user and print its first API token (shown once)")
    .requiredOption("--name <name>", "the user's name")
    .option("--json", "print {userId, token} as JSON")
    .action((options: { name: string; json?: boolean }) =>
      withVault(async (vault) => {
        const { user: created, token } = await vault.services.users.create(options.name);
        if (options.json) write(JSON.stringify({ userId: created.id, token }));
        else write(`Created user ${created.name} (${created.id}).\nAPI token (shown once): ${token}`);
      }),
    );
  user
    .command("token")
    .description("issue a new API token (every scope) for an existing user: the way back in after losing every token")
    .requiredOption("--user <nameOrId>", "the user, by name or id")
    .option("--name <name>", "what the token is for", "issued by agent-vault user token")
    .option("--json", "print {userId, tokenId, token} as JSON")
    .action((options: { user: string; name: string; json?: boolean }) =>
      withVault(async (vault) => {
        const { user: found, token, apiToken } = await vault.services.users.issueToken(options.user, options.name);
        if (options.json) write(JSON.stringify({ userId: found.id, tokenId: apiToken.id, token }));
        else write(`New API token for ${found.name} (${found.id}), shown once: ${token}`);
      }),
    );

  program
    .command("migrate")
    .description("apply the database migrations that have not run yet (serve does too)")
    .action(async () => {
      const applied = await applyMigrations(databaseTarget(loadConfig().databaseUrl));
      write(applied.length ? `Applied: ${applied.join(", ")}` : "The database is up to date.");
    });

  const keys = program.command("keys").description("master key rotation (status, rewrap) and rows to adopt (adopt)");
  keys
    .command("status")
    .description("count the stored values under each master key version, and name the unreadable ones")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      withVault(
        async (vault) => {
          printKeyReport(await vault.services.keys.status(), options.json);
          if (!options.json && vault.uncheckedKeyVersions.length > 0) {
            write(
              `Key version ${vault.uncheckedKeyVersions.join(", ")} has no key check yet: it is recorded when the server first starts with it.`,
            );
          }
        },
        // Read only: it records nothing, not even the check of a key version it has not seen.
        { maintenance: false },
      ),
    );
  keys
    .command("rewrap")
    .description("move every stored value to the current (highest) master key version; safe to interrupt and run again")
    .option("--batch <n>", "values per batch", wholeNumber("--batch"), 200)
    .option("--limit <n>", "stop after this many values", wholeNumber("--limit"))
    .option("--json", "print JSON")
    .action((options: { batch: number; limit?: number; json?: boolean }) =>
      withVault(async (vault) => {
        if (options.batch < 1) throw new CommanderError(EXIT_USAGE, "agent-vault.usage", "--batch takes 1 or more");
        const report = await vault.services.keys.rewrap({ batchSize: options.batch, limit: options.limit });
        printKeyReport(report, options.json);
      }),
    );
  keys
    .command("adopt")
    .description(
      "list the token and attachment rows without a keyed hash or binding, and values in the old format, which grant nothing; with --yes, adopt them",
    )
    .option("--yes", "adopt every row listed: keyed hashes, bindings, values sealed again")
    .option("--json", "print JSON")
    .action((options: { yes?: boolean; json?: boolean }) =>
      withVault(
        async (vault) => {
          const rows = await findLegacyRows(vault.sql);
          const { legacyValues } = await vault.services.keys.status();
          if (options.yes) {
            await adoptLegacyRows({ sql: vault.sql, tokens: vault.services.tokens, binder: vault.binder });
            await vault.services.keys.rewrap();
          }
          if (options.json) write(JSON.stringify({ adopted: !!options.yes, ...rows, values: legacyValues }));
          else printLegacyRows(rows, legacyValues, !!options.yes);
        },
        { readsFormat1: true },
      ),
    );
  return program;
}

/** What to do about a database failure an operator can fix by configuration, or null. */
function databaseHint(error: Error): string | null {
  const code = (error as { code?: string })?.code ?? (error?.cause as { code?: string } | undefined)?.code;
  if (code === "57014" || /statement timeout/.test(String(error?.message))) {
    const limit = process.env.AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS ?? "30000";
    return `A database statement ran longer than the statement timeout (${limit} ms): raise AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS, or the timeout set on the database's role or in DATABASE_URL`;
  }
  if (code === "ECONNREFUSED" || code === "ENOTFOUND") {
    return `Cannot reach the database (${code}): is it running, and is DATABASE_URL right?`;
  }
  return null;
}

export async function runServerCli(argv: string[], version: string): Promise<number> {
  try {
    await serverProgram(version).parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "agent-vault.usage") process.stderr.write(`agent-vault: ${error.message}\n`);
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const failure = error as Error;
    if (EXPECTED.has(failure?.name) || failure instanceof VaultFailure) {
      process.stderr.write(`agent-vault: ${failure.message}\n`);
      return EXIT_REFUSED;
    }
    // Anything else (a database that cannot be reached, a statement that timed out...): one line,
    // and the details only when asked for.
    const line =
      databaseHint(failure) ??
      String(failure?.message ?? failure)
        .split("\n")
        .find((part) => part.trim()) ??
      "unknown error";
    process.stderr.write(
      `agent-vault: ${line.trim()}${process.env.DEBUG ? `\n${failure?.stack ?? ""}` : " (DEBUG=1 shows the details)"}\n`,
    );
    return EXIT_REFUSED;
  }
}

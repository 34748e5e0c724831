// The `agent-vault` command for users of a vault, built on the SDK:
// secrets, variables, agents and tokens. Exit codes: 0 done, 1 refused, 2 usage.
import { Command, CommanderError } from "commander";
import { createVaultClient, type VaultClient } from "../client.ts";
import { NotFoundError, VaultError } from "../errors.ts";
import type { EntryKind } from "../generated/graphql.ts";
import { registerImport } from "./import.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";
import { AuthFailed, registerProviders } from "./providers.ts";
import { readValue } from "./read-value.ts";
import { run } from "./run.ts";

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;
const DEFAULT_URL = "http://localhost:4000/graphql";

class UsageError extends Error {}

type Json = { json?: boolean };

function vaultFromEnv(): VaultClient {
  const token = process.env.AGENT_VAULT_TOKEN;
  if (!token) throw new UsageError("Set AGENT_VAULT_TOKEN to an API token (agent-vault user create prints one)");
  return createVaultClient({ url: process.env.AGENT_VAULT_URL || DEFAULT_URL, token });
}

async function allPages<Node>(
  fetchPage: (after: string | null) => Promise<{
    edges: { node: Node }[];
    pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  }>,
): Promise<Node[]> {
  const nodes: Node[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    nodes.push(...page.edges.map((edge) => edge.node));
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return nodes;
    after = page.pageInfo.endCursor;
  }
}

/** An entry by name (regardless of case) or by id. */
async function findEntry(vault: VaultClient, ref: string, kind?: EntryKind) {
  const entry = (await vault.entryByName({ name: ref })) ?? (await vault.entry({ id: ref }).catch(() => null));
  if (!entry || (kind && entry.kind !== kind)) {
    throw new NotFoundError(
      `No ${kind === "VARIABLE" ? "variable" : kind === "SECRET" ? "secret" : "entry"} named ${ref}`,
    );
  }
  return entry;
}

async function findAgent(vault: VaultClient, ref: string) {
  const agent = (await vault.agentByName({ name: ref })) ?? (await vault.agent({ id: ref }).catch(() => null));
  if (!agent) throw new NotFoundError(`No agent named ${ref}`);
  return agent;
}

function entryCommands(program: Command, kind: EntryKind) {
  const secret = kind === "SECRET";
  const noun = secret ? "secret" : "variable";
  const group = program.command(secret ? "secrets" : "variables").description(`manage ${noun}s`);

  group
    .command("list")
    .description(`list the ${noun}s and the agents that use them`)
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const vault = vaultFromEnv();
      const entries = await allPages((after) => vault.entries({ kind, first: 100, after }));
      if (options.json) return printJson(entries);
      printTable(
        secret
          ? ["NAME", "VERSION", "FINGERPRINT", "USED BY", "UPDATED"]
          : ["NAME", "VALUE", "VERSION", "USED BY", "UPDATED"],
        entries.map((entry) => [
          entry.name,
          ...(secret ? [entry.version, entry.fingerprint] : ["value" in entry ? entry.value : "", entry.version]),
          entry.usedBy.map((agent) => agent.name).join(", ") || "-",
          shortTime(entry.updatedAt),
        ]),
      );
    });

  const add = group
    .command("add")
    .description(secret ? "add a secret; its value is read from standard input or a hidden prompt" : "add a variable")
    .argument("<name>", "the environment variable name")
    .option("--agent <agent...>", "attach it to these agents (names or ids)")
    .option("--json", "print JSON");
  if (!secret) add.argument("[value]", "the value (read from standard input when left out)");
  add.action(async (name: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & { agent?: string[] };
    const vault = vaultFromEnv();
    const agentIds = await Promise.all((options.agent ?? []).map(async (ref) => (await findAgent(vault, ref)).id));
    const value = valueArg ?? (await readValue(`Value of ${name}`));
    const entry = await (secret ? vault.addSecret : vault.addVariable)({ name, value, agentIds });
    if (options.json) return printJson(entry);
    printLine(`Added ${noun} ${entry.name} (version ${entry.version}, fingerprint ${entry.fingerprint}).`);
  });

  const update = group
    .command("update")
    .description(secret ? "change a secret's value, read from standard input or a hidden prompt" : "change a variable")
    .argument("<name>", "the name (or id)")
    .option("--expected-version <n>", "refuse if the current version is not this", (text) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new UsageError("--expected-version takes a positive integer");
      return n;
    })
    .option("--json", "print JSON");
  if (!secret) update.argument("[value]", "the new value (read from standard input when left out)");
  update.action(async (ref: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & { expectedVersion?: number };
    const vault = vaultFromEnv();
    const entry = await findEntry(vault, ref, kind);
    const value = valueArg ?? (await readValue(`New value of ${entry.name}`));
    const input = { id: entry.id, value, expectedVersion: options.expectedVersion };
    const updated = await (secret ? vault.updateSecret : vault.updateVariable)(input);
    if (options.json) return printJson(updated);
    const agents = updated.usedBy.map((agent) => agent.name);
    printLine(
      updated.version === entry.version
        ? `${updated.name} already had that value (version ${updated.version}).`
        : `Updated ${updated.name} to version ${updated.version}.${agents.length ? ` Restart needed: ${agents.join(", ")}.` : ""}`,
    );
  });

  group
    .command("delete")
    .description(`delete a ${noun} that no agent uses`)
    .argument("<name>", "the name (or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const entry = await findEntry(vault, ref, kind);
      const id = await vault.deleteEntry({ id: entry.id });
      if (options.json) return printJson({ id, name: entry.name });
      printLine(`Deleted ${noun} ${entry.name}.`);
    });
}

type AgentView = Awaited<ReturnType<VaultClient["createAgent"]>>;

function printAgent(agent: AgentView, verb: string) {
  printLine(`${verb} agent ${agent.name}: ${agent.entries.map((entry) => entry.name).join(", ") || "no entries"}.`);
  if (agent.restartRequired) {
    printLine(
      `Restart required: ${agent.pendingChanges.map((p) => `${p.name} ${p.change.toLowerCase()}`).join(", ")}.`,
    );
  }
}

function agentCommands(program: Command) {
  const group = program.command("agents").description("manage agents and what they receive");

  group
    .command("list")
    .description("list agents, their entries and whether they need a restart")
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const vault = vaultFromEnv();
      const agents = await allPages((after) => vault.agents({ first: 100, after }));
      if (options.json) return printJson(agents);
      printTable(
        ["NAME", "ENTRIES", "RESTART", "PENDING", "LAST RESTART"],
        agents.map((agent) => [
          agent.name,
          agent.entries.map((entry) => entry.name).join(", ") || "-",
          agent.restartRequired ? "required" : "no",
          agent.pendingChanges.map((p) => `${p.name} ${p.change.toLowerCase()}`).join(", ") || "-",
          shortTime(agent.lastRestartedAt),
        ]),
      );
    });

  group
    .command("create")
    .description("create an agent")
    .argument("<name>")
    .option("--entry <entry...>", "entries it starts with (names or ids)")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json & { entry?: string[] }) => {
      const vault = vaultFromEnv();
      const entryIds = await Promise.all((options.entry ?? []).map(async (ref) => (await findEntry(vault, ref)).id));
      const agent = await vault.createAgent({ name, entryIds });
      if (options.json) return printJson(agent);
      printAgent(agent, "Created");
    });

  for (const [command, verb] of [
    ["attach", "Attached to"],
    ["detach", "Detached from"],
  ] as const) {
    group
      .command(command)
      .description(`${command} entries ${command === "attach" ? "to" : "from"} an agent`)
      .argument("<agent>", "the agent (name or id)")
      .argument("<entries...>", "entries (names or ids)")
      .option("--json", "print JSON")
      .action(async (agentRef: string, entryRefs: string[], options: Json) => {
        const vault = vaultFromEnv();
        const agent = await findAgent(vault, agentRef);
        const entryIds = await Promise.all(entryRefs.map(async (ref) => (await findEntry(vault, ref)).id));
        const input = { agentId: agent.id, entryIds };
        const result = await (command === "attach" ? vault.attachEntries(input) : vault.detachEntries(input));
        if (options.json) return printJson(result);
        printAgent(result, verb);
      });
  }

  group
    .command("restart")
    .description("make the agent's current entries the environment it runs with")
    .argument("<agent>", "the agent (name or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const agent = await vault.restartAgent({ agentId: (await findAgent(vault, ref)).id });
      if (options.json) return printJson(agent);
      printLine(`Restarted agent ${agent.name}.`);
    });

  group
    .command("token")
    .description("create a runtime token for the agent (for agent-vault run); it is printed once")
    .argument("<agent>", "the agent (name or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const created = await vault.createRuntimeToken({ agentId: (await findAgent(vault, ref)).id });
      if (options.json) return printJson(created);
      printLine(
        `Runtime token for ${created.runtimeToken.agent.name} (shown once; set it as AGENT_VAULT_RUNTIME_TOKEN):`,
      );
      printLine(created.token);
    });

  group
    .command("delete")
    .description("delete an agent (its entries stay in the vault)")
    .argument("<agent>", "the agent (name or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const agent = await findAgent(vault, ref);
      const id = await vault.deleteAgent({ agentId: agent.id });
      if (options.json) return printJson({ id, name: agent.name });
      printLine(`Deleted agent ${agent.name}.`);
    });
}

function tokenCommands(program: Command) {
  const group = program.command("tokens").description("manage API tokens");

  group
    .command("list")
    .description("list API tokens (never their values)")
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const tokens = (await vaultFromEnv().viewer()).apiTokens;
      if (options.json) return printJson(tokens);
      printTable(
        ["ID", "NAME", "CREATED", "REVOKED"],
        tokens.map((token) => [token.id, token.name, shortTime(token.createdAt), shortTime(token.revokedAt)]),
      );
    });

  group
    .command("create")
    .description("create an API token; it is printed once")
    .argument("<name>", "what the token is for")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json) => {
      const created = await vaultFromEnv().createApiToken({ name });
      if (options.json) return printJson(created);
      printLine(`Created token ${created.apiToken.name} (${created.apiToken.id}). It is shown this once:`);
      printLine(created.token);
    });

  group
    .command("revoke")
    .description("revoke an API token")
    .argument("<id>", "the token's id (see tokens list)")
    .option("--json", "print JSON")
    .action(async (id: string, options: Json) => {
      const revoked = await vaultFromEnv().revokeApiToken({ id });
      if (options.json) return printJson(revoked);
      printLine(`Revoked token ${revoked.name}.`);
    });
}

function runCommand(program: Command) {
  program
    .command("run")
    .description(
      "run an agent's command with its environment from the vault, restarting it when the vault says so " +
        "(token: AGENT_VAULT_RUNTIME_TOKEN)",
    )
    .usage("[--url URL] [--grace-period SECONDS] -- COMMAND [ARGS...]")
    .argument("<command...>", "the command to run, after --")
    .option("--url <url>", "the vault's GraphQL address (default: AGENT_VAULT_URL)")
    .option("--grace-period <seconds>", "how long a restart waits after SIGTERM before SIGKILL", "10")
    .passThroughOptions()
    .action(async (commandLine: string[], options: { url?: string; gracePeriod: string }) => {
      const token = process.env.AGENT_VAULT_RUNTIME_TOKEN;
      if (!token) throw new UsageError("Set AGENT_VAULT_RUNTIME_TOKEN to the agent's runtime token (avr_...)");
      const grace = Number(options.gracePeriod);
      if (!Number.isFinite(grace) || grace < 0) throw new UsageError("--grace-period takes a number of seconds");
      const [command, ...args] = commandLine as [string, ...string[]];
      const url = options.url || process.env.AGENT_VAULT_URL || DEFAULT_URL;
      // The vault's own settings stay with us: run() builds the child's environment from scratch.
      const code = await run(command, args, { url, token, graceMs: grace * 1000 });
      process.exit(code);
    });
}

export function userProgram(): Command {
  const program = new Command("agent-vault")
    .description("Agent Vault: secrets and configuration for AI agents, as environment variables")
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError()
    .addHelpText(
      "after",
      [
        "",
        "Server commands: serve, user create, migrate (agent-vault serve --help).",
        `Configuration: AGENT_VAULT_URL (default ${DEFAULT_URL}) and AGENT_VAULT_TOKEN.`,
        "Exit codes: 0 done, 1 refused by the vault, 2 usage.",
      ].join("\n"),
    );
  entryCommands(program, "SECRET");
  entryCommands(program, "VARIABLE");
  agentCommands(program);
  tokenCommands(program);
  registerImport(program, vaultFromEnv, (message) => new UsageError(message));
  registerProviders(program, vaultFromEnv, (message) => new UsageError(message));
  runCommand(program);
  return program;
}

export async function runUserCli(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    await userProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof UsageError) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof AuthFailed) {
      process.stderr.write(`agent-vault: ${error.message}; nothing was stored\n`);
      return EXIT_REFUSED;
    }
    if (error instanceof VaultError) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      if (json) {
        const { name, code, message, ...details } = error;
        printJson({ error: { type: error.name, code, message, ...details } });
      }
      return EXIT_REFUSED;
    }
    throw error;
  }
}

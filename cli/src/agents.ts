// `agent-vault agents list|create|attach|detach|restart|token|delete`.
import { type Agent, collect } from "@agent-vault/sdk";
import type { Command } from "commander";
import { findAgent, findEntry, type Json, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const pending = (agent: Agent) => agent.pendingChanges.map((p) => `${p.name} ${p.change.toLowerCase()}`).join(", ");

function printAgent(agent: Agent, verb: string) {
  printLine(`${verb} agent ${agent.name}: ${agent.entries.map((entry) => entry.name).join(", ") || "no entries"}.`);
  if (agent.restartRequired) printLine(`Restart required: ${pending(agent)}.`);
}

export function registerAgents(program: Command) {
  const group = program.command("agents").description("manage agents and what they receive");

  group
    .command("list")
    .description("list agents, their entries and whether they need a restart")
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const agents = await collect(vaultFromEnv().allAgents());
      if (options.json) return printJson(agents);
      printTable(
        ["NAME", "ENTRIES", "RESTART", "PENDING", "LAST RESTART"],
        agents.map((agent) => [
          agent.name,
          agent.entries.map((entry) => entry.name).join(", ") || "-",
          agent.restartRequired ? "required" : "no",
          pending(agent) || "-",
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

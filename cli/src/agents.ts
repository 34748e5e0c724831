// `agent-vault agents list|create|attach|detach|restart|token|delete` (and limits.ts's commands).
import { type Agent, type AgentRestartPolicy, collect } from "@agent-vault/sdk";
import type { Command } from "commander";
import { findAgent, findEntry, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { registerLimits } from "./limits.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const pending = (agent: Agent) => agent.pendingChanges.map((p) => `${p.name} ${p.change.toLowerCase()}`).join(", ");

/** --restart-policy: manual or on-change (as the API's MANUAL and ON_CHANGE too). */
function restartPolicy(text: string): AgentRestartPolicy {
  const policy = text.toUpperCase().replace("-", "_");
  if (policy !== "MANUAL" && policy !== "ON_CHANGE") {
    throw new UsageError("--restart-policy is manual (restart it yourself) or on-change (the vault restarts it)");
  }
  return policy;
}

const policyLabel = (agent: Agent) => (agent.restartPolicy === "ON_CHANGE" ? "on-change" : "manual");

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
        ["NAME", "ENTRIES", "RESTART", "POLICY", "PENDING", "LAST RESTART", "SPENT TODAY"],
        agents.map((agent) => [
          agent.name,
          agent.entries.map((entry) => entry.name).join(", ") || "-",
          agent.restartRequired ? "required" : "no",
          policyLabel(agent),
          pending(agent) || "-",
          shortTime(agent.lastRestartedAt),
          `$${agent.spentTodayUsd.toFixed(2)}`,
        ]),
      );
    });

  group
    .command("create")
    .description("create an agent")
    .argument("<name>")
    .option("--entry <entry...>", "entries it starts with (names or ids)")
    .option(
      "--restart-policy <policy>",
      "manual (default) or on-change: the vault restarts it after a change",
      restartPolicy,
    )
    .option("--json", "print JSON")
    .action(async (name: string, options: Json & { entry?: string[]; restartPolicy?: AgentRestartPolicy }) => {
      const vault = vaultFromEnv();
      const entryIds = await Promise.all((options.entry ?? []).map(async (ref) => (await findEntry(vault, ref)).id));
      const agent = await vault.createAgent({ name, entryIds, restartPolicy: options.restartPolicy });
      if (options.json) return printJson(agent);
      printAgent(agent, "Created");
    });

  group
    .command("update")
    .description("rename an agent or change its restart policy")
    .argument("<agent>", "the agent (name or id)")
    .option("--name <name>", "a new name")
    .option("--restart-policy <policy>", "manual or on-change (the vault restarts it after a change)", restartPolicy)
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json & { name?: string; restartPolicy?: AgentRestartPolicy }) => {
      if (options.name === undefined && options.restartPolicy === undefined) {
        throw new UsageError("Give --name, --restart-policy or both");
      }
      const vault = vaultFromEnv();
      const found = await findAgent(vault, ref);
      const agent = await vault.updateAgent({
        agentId: found.id,
        name: options.name,
        restartPolicy: options.restartPolicy,
      });
      if (options.json) return printJson(agent);
      printLine(`Updated agent ${agent.name}: restart policy ${policyLabel(agent)}.`);
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

  registerLimits(group);
}

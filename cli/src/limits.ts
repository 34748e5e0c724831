// `agent-vault agents limit|limits|unlimit|usage`: an agent's spend and rate limits, and its usage.
import type { AgentLimitFieldsFragment, LimitWindow, SetAgentLimitInput } from "@agent-vault/sdk";
import type { Command } from "commander";
import { findAgent, findEntry, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const WINDOWS: Record<string, LimitWindow> = {
  minute: "MINUTE",
  min: "MINUTE",
  m: "MINUTE",
  hour: "HOUR",
  h: "HOUR",
  day: "DAY",
  d: "DAY",
  month: "MONTH",
  mo: "MONTH",
};

/** "5/day" as an amount and its window. */
export function parseRate(flag: string, text: string): { amount: number; window: LimitWindow } {
  const match = /^\s*\$?([0-9]+(?:\.[0-9]+)?)\s*\/\s*([a-z]+)\s*$/i.exec(text);
  const window = match ? WINDOWS[(match[2] as string).toLowerCase()] : undefined;
  if (!match || !window) {
    throw new UsageError(
      `${flag} is an amount per window: 60/minute, 1000/hour, 5/day or 100/month (got ${JSON.stringify(text)})`,
    );
  }
  return { amount: Number(match[1]), window };
}

const per = (window: LimitWindow) => window.toLowerCase();
const money = (usd: number) => `$${usd < 1 ? usd.toFixed(4) : usd.toFixed(2)}`;

function describeLimit(limit: AgentLimitFieldsFragment): string {
  const parts: string[] = [];
  if (limit.maxRequests !== null && limit.maxRequests !== undefined) parts.push(`${limit.maxRequests} requests`);
  if (limit.maxTokens !== null && limit.maxTokens !== undefined) parts.push(`${limit.maxTokens} tokens`);
  if (limit.maxCostUsd !== null && limit.maxCostUsd !== undefined) parts.push(money(limit.maxCostUsd));
  return `${parts.join(", ")} per ${per(limit.window)}${limit.secretName ? ` through ${limit.secretName}` : ""}`;
}

const usedOf = (used: number, max: number | null | undefined, format = (n: number) => String(n)) =>
  max === null || max === undefined ? "-" : `${format(used)}/${format(max)}`;

export function registerLimits(group: Command) {
  group
    .command("limit")
    .description("limit an agent's brokered requests: --cost 5/day, --requests 60/minute, --tokens 1000000/month")
    .argument("<agent>", "the agent (name or id)")
    .option("--requests <n/window>", "requests forwarded per window")
    .option("--tokens <n/window>", "input and output tokens per window")
    .option("--cost <usd/window>", "USD per window (priced from the providers' usage)")
    .option("--secret <secret>", "only the requests through this brokered secret (name or id)")
    .option("--json", "print JSON")
    .action(
      async (ref: string, options: Json & { requests?: string; tokens?: string; cost?: string; secret?: string }) => {
        const rates = [
          ["--requests", options.requests, "maxRequests"],
          ["--tokens", options.tokens, "maxTokens"],
          ["--cost", options.cost, "maxCostUsd"],
        ] as const;
        // One limit per window: --cost 5/day --requests 60/minute sets two.
        const byWindow = new Map<LimitWindow, Partial<SetAgentLimitInput>>();
        for (const [flag, text, field] of rates) {
          if (text === undefined) continue;
          const { amount, window } = parseRate(flag, text);
          if (field !== "maxCostUsd" && !Number.isInteger(amount))
            throw new UsageError(`${flag} counts whole ${flag.slice(2)}`);
          byWindow.set(window, { ...byWindow.get(window), [field]: amount });
        }
        if (byWindow.size === 0) throw new UsageError("Give at least one of --requests, --tokens and --cost");
        const vault = vaultFromEnv();
        const agent = await findAgent(vault, ref);
        const secretId = options.secret ? (await findEntry(vault, options.secret, "SECRET")).id : undefined;
        const set: AgentLimitFieldsFragment[] = [];
        for (const [window, maxima] of byWindow) {
          set.push(await vault.setAgentLimit({ agentId: agent.id, secretId, window, ...maxima }));
        }
        if (options.json) return printJson(set);
        for (const limit of set) printLine(`Limited agent ${agent.name}: ${describeLimit(limit)} (limit ${limit.id}).`);
      },
    );

  group
    .command("limits")
    .description("list an agent's limits with what their current windows have used")
    .argument("<agent>", "the agent (name or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const agent = await findAgent(vault, ref);
      const found = await vault.agentLimits({ id: agent.id });
      const limits = found?.limits ?? [];
      if (options.json) return printJson(limits);
      if (limits.length === 0) return printLine(`Agent ${agent.name} has no limits.`);
      printTable(
        ["ID", "SECRET", "WINDOW", "REQUESTS", "TOKENS", "COST", "RESETS"],
        limits.map((limit) => [
          limit.id,
          limit.secretName ?? "(all)",
          per(limit.window),
          usedOf(limit.used.requests, limit.maxRequests),
          usedOf(limit.used.tokens, limit.maxTokens),
          usedOf(limit.used.costUsd, limit.maxCostUsd, money),
          shortTime(limit.resetsAt),
        ]),
      );
    });

  group
    .command("unlimit")
    .description("remove a limit (agent-vault agents limits shows their ids)")
    .argument("<limit-id>")
    .option("--json", "print JSON")
    .action(async (id: string, options: Json) => {
      const removed = await vaultFromEnv().removeAgentLimit({ id });
      if (options.json) return printJson({ id: removed });
      printLine(`Removed limit ${removed}.`);
    });

  group
    .command("usage")
    .description("an agent's brokered usage per day: requests, tokens and cost by provider and secret")
    .argument("<agent>", "the agent (name or id)")
    .option("--days <n>", "how many days back, today included", "30")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json & { days: string }) => {
      const days = Number(options.days);
      if (!Number.isInteger(days) || days < 1 || days > 400)
        throw new UsageError("--days is a whole number from 1 to 400");
      const vault = vaultFromEnv();
      const agent = await findAgent(vault, ref);
      const today = new Date();
      const to = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1));
      const from = new Date(to.getTime() - days * 86_400_000);
      const found = await vault.agentUsage({
        id: agent.id,
        from: from.toISOString(),
        to: to.toISOString(),
        bucket: "DAY",
      });
      const buckets = found?.usage ?? [];
      if (options.json) return printJson(buckets);
      if (buckets.length === 0)
        return printLine(`Agent ${agent.name} made no brokered requests in the last ${days} days.`);
      printTable(
        ["DAY", "PROVIDER", "SECRET", "REQUESTS", "INPUT", "OUTPUT", "COST", "ERRORS", "UNPRICED"],
        buckets.map((b) => [
          String(b.start).slice(0, 10),
          b.provider?.toLowerCase() ?? "-",
          b.secretName,
          b.requests,
          b.inputTokens,
          b.outputTokens,
          money(b.costUsd),
          b.errors,
          b.unpricedRequests,
        ]),
      );
      const total = buckets.reduce((sum, b) => sum + b.costUsd, 0);
      printLine(`Total: ${money(total)} over ${buckets.reduce((sum, b) => sum + b.requests, 0)} requests.`);
    });
}

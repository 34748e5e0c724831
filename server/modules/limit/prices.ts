// What a model's tokens cost: USD per million input and output tokens, by model name. The table
// shipped here is the providers' published list prices for their current models (taken on the date
// below); an operator replaces it with AGENT_VAULT_PRICES, a JSON file of the same shape.
import { readFileSync } from "node:fs";

export type Price = { input: number; output: number };
export type PriceTable = { takenOn: string; models: ReadonlyMap<string, Price> };

/** When the shipped prices were taken (README says from where). */
export const SHIPPED_PRICES_DATE = "2026-12-06";

// USD per million tokens (input, output), standard tier, short context: Anthropic's model pages
// and OpenAI's pricing page as they read on the date above. A dated snapshot
// ("claude-opus-5-20260724", "gpt-5.4-mini-2026-03-17") and OpenRouter's "provider/model" names
// find their model's entry (priceOf); a model not listed here is counted and unpriced.
const SHIPPED: Record<string, Price> = {
  "claude-fable-5-1": { input: 10, output: 50 },
  "claude-opus-5-5": { input: 4, output: 20 },
  "claude-opus-5": { input: 5, output: 25 },
  "claude-sonnet-5-5": { input: 2, output: 10 },
  "claude-sonnet-5": { input: 2, output: 10 },
  "claude-opus-4-8": { input: 5, output: 25 },
  "claude-opus-4-7": { input: 5, output: 25 },
  "claude-opus-4-6": { input: 5, output: 25 },
  "claude-opus-4-5": { input: 5, output: 25 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "gpt-5.5": { input: 5, output: 30 },
  "gpt-5.5-pro": { input: 30, output: 180 },
  "gpt-5.4": { input: 2.5, output: 15 },
  "gpt-5.4-pro": { input: 30, output: 180 },
  "gpt-5.4-mini": { input: 0.75, output: 4.5 },
  "gpt-5.4-nano": { input: 0.2, output: 1.25 },
};

export class PricesError extends Error {
  override name = "PricesError";
}

function validPrice(value: unknown): value is Price {
  if (typeof value !== "object" || value === null) return false;
  const { input, output } = value as Record<string, unknown>;
  return (
    typeof input === "number" &&
    typeof output === "number" &&
    input >= 0 &&
    output >= 0 &&
    Number.isFinite(input + output)
  );
}

/** A price table from JSON text (`{"<model>": {"input": 3, "output": 15}}`); a bad entry is a PricesError. */
export function parsePrices(text: string, source: string): Map<string, Price> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new PricesError(`${source} is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new PricesError(`${source} must be an object of model names`);
  }
  const models = new Map<string, Price>();
  for (const [model, price] of Object.entries(parsed)) {
    if (!validPrice(price)) {
      throw new PricesError(
        `${source}: the price of ${JSON.stringify(model)} must be {"input": USD, "output": USD} per million tokens`,
      );
    }
    models.set(model.toLowerCase(), { input: price.input, output: price.output });
  }
  return models;
}

/** The shipped table, or the operator's (AGENT_VAULT_PRICES, a file path) in its place. */
export function priceTable(env: NodeJS.ProcessEnv = process.env): PriceTable {
  const file = env.AGENT_VAULT_PRICES;
  if (!file) return { takenOn: SHIPPED_PRICES_DATE, models: new Map(Object.entries(SHIPPED)) };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new PricesError(`AGENT_VAULT_PRICES: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  return { takenOn: "the operator's", models: parsePrices(text, `AGENT_VAULT_PRICES (${file})`) };
}

/** A model's dated snapshot or alias: the name, then "-20260724", "-2026-07-24" or "-latest". */
const SNAPSHOT = /^-(\d{8}|\d{4}-\d{2}-\d{2}|latest)$/;

/**
 * The price of `model`: its own entry, or the entry it is a dated snapshot of, also without a
 * "provider/" prefix and with OpenRouter's dots as the providers' dashes; null for a model the
 * table does not know (a newer version is not priced as an older one).
 */
export function priceOf(table: PriceTable, model: string | null | undefined): Price | null {
  if (!model) return null;
  const names = [model.toLowerCase()];
  const slash = (names[0] as string).lastIndexOf("/");
  if (slash >= 0) names.push((names[0] as string).slice(slash + 1));
  // OpenRouter writes Anthropic's versions with dots ("claude-sonnet-5.5") where Anthropic has dashes.
  for (const name of [...names]) if (name.includes(".")) names.push(name.replace(/\./g, "-"));
  for (const name of names) {
    const exact = table.models.get(name);
    if (exact) return exact;
    for (const [known, price] of table.models) {
      if (name.startsWith(known) && SNAPSHOT.test(name.slice(known.length))) return price;
    }
  }
  return null;
}

/** USD in millionths for these tokens at this price. */
export function costMicros(price: Price, inputTokens: number, outputTokens: number): number {
  return Math.round(price.input * inputTokens + price.output * outputTokens);
}

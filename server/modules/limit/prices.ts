// What a model's tokens cost: USD per million input and output tokens, by model name. The table
// shipped here is the providers' published list prices for their current models (taken on the date
// below); an operator replaces it with AGENT_VAULT_PRICES, a JSON file of the same shape.
import { readFileSync } from "node:fs";

export type Price = { input: number; output: number };
export type PriceTable = { takenOn: string; models: ReadonlyMap<string, Price> };

/** The date the shipped prices were read from the providers' pricing pages. */
export const SHIPPED_PRICES_DATE = "2025-11-24";

// USD per million tokens (input, output). Dated model ids ("claude-sonnet-4-5-20250929") and
// OpenRouter's "provider/model" names find their entry by prefix (priceOf).
const SHIPPED: Record<string, Price> = {
  "claude-opus-4-5": { input: 5, output: 25 },
  "claude-opus-4-1": { input: 15, output: 75 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "gpt-5.1": { input: 1.25, output: 10 },
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  o3: { input: 2, output: 8 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o4-mini": { input: 1.1, output: 4.4 },
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

/**
 * The price of `model`: its own entry, or the longest name it starts with (a dated version), also
 * without a "provider/" prefix; null for a model the table does not know.
 */
export function priceOf(table: PriceTable, model: string | null | undefined): Price | null {
  if (!model) return null;
  const names = [model.toLowerCase()];
  const slash = (names[0] as string).lastIndexOf("/");
  if (slash >= 0) names.push((names[0] as string).slice(slash + 1));
  // OpenRouter writes versions with dots ("claude-sonnet-4.5") where the provider has dashes.
  for (const name of [...names]) if (name.includes(".")) names.push(name.replace(/\./g, "-"));
  for (const name of names) {
    const exact = table.models.get(name);
    if (exact) return exact;
    let best: { length: number; price: Price } | null = null;
    for (const [known, price] of table.models) {
      if (name.startsWith(`${known}-`) && (!best || known.length > best.length)) best = { length: known.length, price };
    }
    if (best) return best.price;
  }
  return null;
}

/** USD in millionths for these tokens at this price. */
export function costMicros(price: Price, inputTokens: number, outputTokens: number): number {
  return Math.round(price.input * inputTokens + price.output * outputTokens);
}

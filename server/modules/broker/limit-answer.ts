// The broker's answer to a request over one of its agent's limits: 429 with retry-after, and an
// error body in the provider's own shape, so that an agent's SDK handles it as it handles the
// provider's own rate limit (Anthropic's rate_limit_error, OpenAI's and OpenRouter's error object).
import type { Refusal } from "../limit/limit.service.ts";
import type { Provider } from "../provider/providers.ts";

const UNITS = { requests: "requests", tokens: "tokens", costUsd: "USD" } as const;
const PER = { MINUTE: "minute", HOUR: "hour", DAY: "day", MONTH: "month" } as const;

/** SDKs retry a 429 by themselves; beyond a minute's wait they are told not to. */
const RETRY_WORTH_SECONDS = 60;

export function limitAnswer(
  provider: Provider | null,
  refusal: Refusal,
): { headers: Record<string, string>; body: string } {
  const { limit, measure, retryAfter } = refusal;
  const maximum =
    measure === "requests"
      ? limit.maxRequests
      : measure === "tokens"
        ? limit.maxTokens
        : (limit.maxCostMicros ?? 0) / 1e6;
  const message = `Agent Vault: this agent has reached its limit of ${maximum} ${UNITS[measure]} per ${PER[limit.window]} (limit ${limit.id}); it resets in ${retryAfter} s`;
  let body: unknown;
  if (provider === "ANTHROPIC") body = { type: "error", error: { type: "rate_limit_error", message } };
  else if (provider === "OPENAI") {
    body = {
      error: { message, type: measure === "costUsd" ? "cost" : measure, param: null, code: "rate_limit_exceeded" },
    };
  } else if (provider === "OPENROUTER") {
    body = { error: { code: 429, message, metadata: { limit_id: limit.id, window: limit.window } } };
  } else body = { error: { type: "agent_vault_limit_reached", message } };
  return {
    headers: {
      "content-type": "application/json",
      "cache-control": "no-store",
      "retry-after": String(retryAfter),
      ...(retryAfter > RETRY_WORTH_SECONDS ? { "x-should-retry": "false" } : {}),
    },
    body: JSON.stringify(body),
  };
}

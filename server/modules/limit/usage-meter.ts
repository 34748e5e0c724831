// What a provider's answer says it used, read as the answer passes through the broker: `usage` in
// a JSON body (OpenAI chat's prompt_tokens/completion_tokens; OpenAI Responses' and Anthropic's
// input_tokens/output_tokens; OpenRouter's cost), and in a stream of events (Anthropic's
// message_start and message_delta, OpenAI's final usage chunk, the Responses API's
// response.completed). And what a request may use at most (its max_tokens), read before it goes.
import { StringDecoder } from "node:string_decoder";

export type Usage = {
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  /** What the provider says the call cost, in USD (OpenRouter's usage.cost); null when it does not say. */
  costUsd: number | null;
  /** Whether the answer said anything of its usage. */
  found: boolean;
};

/** JSON bodies are read for their usage up to this size; a larger one counts as unread. */
const JSON_READ_LIMIT = 8 * 1024 * 1024;
/** An event line longer than this is skipped, not kept. */
const LINE_LIMIT = 1024 * 1024;
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : undefined;

type Found = { model?: string; input?: number; output?: number; cost?: number };

/** The usage one JSON object holds (a whole answer, or one event of a stream). */
function usageIn(object: unknown): Found | null {
  if (typeof object !== "object" || object === null) return null;
  const o = object as Record<string, Record<string, unknown> | undefined>;
  const holder = o.usage ? o : o.message?.usage ? o.message : o.response?.usage ? o.response : null;
  if (!holder) return null;
  const usage = holder.usage as Record<string, unknown>;
  const model = typeof holder.model === "string" ? holder.model : typeof o.model === "string" ? o.model : undefined;
  const cached = (count(usage.cache_creation_input_tokens) ?? 0) + (count(usage.cache_read_input_tokens) ?? 0);
  const input = count(usage.input_tokens) ?? count(usage.prompt_tokens);
  return {
    model,
    input: input === undefined ? undefined : input + cached,
    output: count(usage.output_tokens) ?? count(usage.completion_tokens),
    cost: count(usage.cost),
  };
}

/** Reads an answer's usage from its chunks as they pass; `end` says what it found. */
export function usageMeter(contentType: string) {
  const stream = /event-stream/i.test(contentType);
  const json = !stream && /json/i.test(contentType);
  const found: Found = {};
  let any = false;
  let chunks: Buffer[] = [];
  let size = 0;
  let line = "";
  let skipping = false;
  // A character split across two chunks is decoded whole.
  const decoder = new StringDecoder("utf8");

  function take(object: unknown): void {
    const usage = usageIn(object);
    if (!usage) return;
    any = true;
    // A stream's later events say more (Anthropic's message_delta carries the output so far).
    if (usage.model) found.model = usage.model;
    if (usage.input !== undefined) found.input = usage.input;
    if (usage.output !== undefined) found.output = usage.output;
    if (usage.cost !== undefined) found.cost = usage.cost;
  }

  function eventLine(text: string): void {
    if (!text.startsWith("data:") || !USAGE_OBJECT.test(text)) return;
    try {
      take(JSON.parse(text.slice(5)));
    } catch {
      // Not JSON: not a usage event.
    }
  }

  return {
    push(chunk: Buffer): void {
      if (json) {
        size += chunk.length;
        if (size <= JSON_READ_LIMIT) chunks.push(chunk);
        else chunks = [];
        return;
      }
      if (!stream) return;
      const text = line + decoder.write(chunk);
      const lines = text.split(/\r?\n/);
      line = lines.pop() ?? "";
      for (const one of lines) {
        if (skipping) skipping = false;
        else eventLine(one);
      }
      if (line.length > LINE_LIMIT) {
        line = "";
        skipping = true;
      }
    },

    end(): Usage {
      if (json && size <= JSON_READ_LIMIT && size > 0) {
        try {
          take(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        } catch {
          // Not JSON after all: nothing found.
        }
      }
      if (stream && line && !skipping) eventLine(line);
      chunks = [];
      return {
        model: found.model ?? null,
        inputTokens: found.input ?? 0,
        outputTokens: found.output ?? 0,
        costUsd: found.cost ?? null,
        found: any,
      };
    },
  };
}

/** What a request body says it may use: its model and its maximum of output tokens. */
export function requestedUsage(body: Buffer): { model: string | null; maxTokens: number } {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    const maxTokens =
      count(parsed.max_tokens) ?? count(parsed.max_output_tokens) ?? count(parsed.max_completion_tokens) ?? 0;
    return { model: typeof parsed.model === "string" ? parsed.model : null, maxTokens };
  } catch {
    return { model: null, maxTokens: 0 };
  }
}

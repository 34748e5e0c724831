// The pure parts of limits: calendar windows, the price table, and reading usage from answers.
import { describe, expect, it } from "vitest";
import { secondsToReset, windowEnd, windowStart } from "../../server/modules/limit/limit-window.ts";
import { costMicros, PricesError, parsePrices, priceOf, priceTable } from "../../server/modules/limit/prices.ts";
import { blockSize, countsInBlocks } from "../../server/modules/limit/request-blocks.ts";
import { requestedUsage, usageMeter } from "../../server/modules/limit/usage-meter.ts";

const at = Date.UTC(2026, 1, 28, 23, 59, 59, 500);

describe("windows", () => {
  it("are calendar periods in UTC", () => {
    expect(new Date(windowStart("MINUTE", at)).toISOString()).toBe("2026-02-28T23:59:00.000Z");
    expect(new Date(windowStart("HOUR", at)).toISOString()).toBe("2026-02-28T23:00:00.000Z");
    expect(new Date(windowStart("DAY", at)).toISOString()).toBe("2026-02-28T00:00:00.000Z");
    expect(new Date(windowStart("MONTH", at)).toISOString()).toBe("2026-02-01T00:00:00.000Z");
    expect(new Date(windowEnd("MONTH", at)).toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(new Date(windowEnd("MONTH", Date.UTC(2026, 11, 31))).toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });

  it("say how long until they reset, in whole seconds, at least one", () => {
    expect(secondsToReset("MINUTE", at)).toBe(1);
    expect(secondsToReset("DAY", at)).toBe(1);
    expect(secondsToReset("MINUTE", Date.UTC(2026, 0, 1, 0, 0, 0))).toBe(60);
    expect(secondsToReset("HOUR", Date.UTC(2026, 0, 1, 0, 30, 0, 1))).toBe(1800);
  });
});

describe("blocks of requests claimed ahead", () => {
  it("start at one, are at most 256 and a 32nd of what is left, and one near the maximum", () => {
    expect(blockSize(1_000_000, null)).toBe(1);
    expect(blockSize(1_000_000, 0)).toBe(256);
    expect(blockSize(1_000_000, 999_000)).toBe(31);
    expect(blockSize(200, 20)).toBe(5);
    expect(blockSize(10, 1)).toBe(1);
    expect(blockSize(200, 199)).toBe(1);
    expect(blockSize(200, 200)).toBe(1);
  });

  it("count only limits of requests alone", () => {
    const limit = { id: "l", window: "MINUTE" as const, maxRequests: 10, maxTokens: null, maxCostMicros: null };
    expect(countsInBlocks(limit)).toBe(true);
    expect(countsInBlocks({ ...limit, maxTokens: 5 })).toBe(false);
    expect(countsInBlocks({ ...limit, maxCostMicros: 5 })).toBe(false);
    expect(countsInBlocks({ ...limit, maxRequests: null, maxTokens: 5 })).toBe(false);
  });
});

describe("prices", () => {
  const table = priceTable({});

  it("find a model by its name, a dated snapshot by its model's, and OpenRouter's names", () => {
    expect(priceOf(table, "claude-opus-5-5")).toEqual({ input: 4, output: 20 });
    expect(priceOf(table, "claude-opus-5-20260724")).toEqual({ input: 5, output: 25 });
    expect(priceOf(table, "claude-sonnet-4-5-20250929")).toEqual({ input: 3, output: 15 });
    expect(priceOf(table, "gpt-5.4-mini-2026-03-17")).toEqual({ input: 0.75, output: 4.5 });
    expect(priceOf(table, "GPT-5.5")).toEqual({ input: 5, output: 30 });
    expect(priceOf(table, "anthropic/claude-sonnet-5.5")).toEqual({ input: 2, output: 10 });
    expect(priceOf(table, "openai/gpt-5.4")).toEqual({ input: 2.5, output: 15 });
    // A version the table does not list is not priced as the one before it.
    expect(priceOf(table, "claude-opus-5-7")).toBeNull();
    expect(priceOf(table, "gpt-5.4-turbo")).toBeNull();
    expect(priceOf(table, "llama-3")).toBeNull();
    expect(priceOf(table, null)).toBeNull();
  });

  it("are USD per million tokens, counted in millionths of a dollar", () => {
    expect(costMicros({ input: 3, output: 15 }, 1_000_000, 0)).toBe(3_000_000);
    expect(costMicros({ input: 3, output: 15 }, 10, 5)).toBe(105);
  });

  it("replaced by the operator's file, which must be well formed", () => {
    expect(parsePrices('{"My-Model": {"input": 1.5, "output": 2}}', "x").get("my-model")).toEqual({
      input: 1.5,
      output: 2,
    });
    expect(() => parsePrices("[1]", "x")).toThrow(PricesError);
    expect(() => parsePrices('{"m": {"input": -1, "output": 2}}', "x")).toThrow(/the price of "m"/);
    expect(() => parsePrices("{", "x")).toThrow(/not JSON/);
    expect(() => priceTable({ AGENT_VAULT_PRICES: "/nonexistent/prices.json" })).toThrow(/cannot read/);
  });
});

const feed = (contentType: string, chunks: (string | Buffer)[]) => {
  const meter = usageMeter(contentType);
  for (const chunk of chunks) meter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return meter.end();
};

describe("usage read from answers", () => {
  it("reads OpenAI chat, OpenAI Responses, Anthropic and OpenRouter JSON bodies", () => {
    expect(
      feed("application/json", ['{"model":"gpt-4o","usage":{"prompt_tokens":10,', '"completion_tokens":5}}']),
    ).toEqual({ model: "gpt-4o", inputTokens: 10, outputTokens: 5, costUsd: null, found: true });
    expect(
      feed("application/json; charset=utf-8", ['{"model":"gpt-5","usage":{"input_tokens":7,"output_tokens":3}}']),
    ).toMatchObject({
      inputTokens: 7,
      outputTokens: 3,
    });
    expect(
      feed("application/json", [
        '{"model":"claude-sonnet-4-5","usage":{"input_tokens":7,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":3}}',
      ]),
    ).toMatchObject({ inputTokens: 127, outputTokens: 3 });
    expect(feed("application/json", ['{"usage":{"prompt_tokens":1,"completion_tokens":1,"cost":0.25}}'])).toMatchObject(
      {
        costUsd: 0.25,
      },
    );
    expect(feed("application/json", ['{"error":{"message":"nope"}}'])).toMatchObject({ found: false });
    expect(feed("text/plain", ['{"usage":{"prompt_tokens":1}}'])).toMatchObject({ found: false });
  });

  it("reads Anthropic's stream: input from message_start, output from the last message_delta, across chunk bounds", () => {
    const events = [
      'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-haiku-4-5","usage":{"input_tokens":25,"output_tokens":1}}}\n\n',
      'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"é"}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":15}}\n\n',
      'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":42}}\n\n',
    ].join("");
    const bytes = Buffer.from(events);
    // Every split point, also inside the two bytes of "é".
    for (const cut of [1, 17, 100, bytes.indexOf(Buffer.from("é")) + 1, bytes.length - 3]) {
      expect(feed("text/event-stream", [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual({
        model: "claude-haiku-4-5",
        inputTokens: 25,
        outputTokens: 42,
        costUsd: null,
        found: true,
      });
    }
  });

  it("reads OpenAI's final usage chunk and the Responses API's response.completed", () => {
    expect(
      feed("text/event-stream", [
        'data: {"model":"gpt-4o","choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n',
        'data: {"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4}}\n\ndata: [DONE]\n\n',
      ]),
    ).toMatchObject({ model: "gpt-4o", inputTokens: 9, outputTokens: 4 });
    expect(
      feed("text/event-stream", [
        'event: response.completed\ndata: {"type":"response.completed","response":{"model":"gpt-5","usage":{"input_tokens":11,"output_tokens":6}}}',
      ]),
    ).toMatchObject({ model: "gpt-5", inputTokens: 11, outputTokens: 6 });
    expect(feed("text/event-stream", ['data: {"choices":[]}\n\n'])).toMatchObject({ found: false });
  });

  it("reads what a request asks for at most", () => {
    expect(requestedUsage(Buffer.from('{"model":"claude-x","max_tokens":1024}'))).toEqual({
      model: "claude-x",
      maxTokens: 1024,
    });
    expect(requestedUsage(Buffer.from('{"model":"gpt-5","max_output_tokens":50}'))).toEqual({
      model: "gpt-5",
      maxTokens: 50,
    });
    expect(requestedUsage(Buffer.from('{"max_completion_tokens":7}'))).toEqual({ model: null, maxTokens: 7 });
    expect(requestedUsage(Buffer.from("not json"))).toEqual({ model: null, maxTokens: 0 });
  });
});

// Local servers standing in for a brokered secret's upstream (a provider, or any API), and a test
// vault served over a real socket (the broker streams, so it is tested through Node's server).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { requestListener } from "../../server/app.ts";
import type { TestVault } from "./test-vault.ts";

export type Received = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

/** A server that records every request and answers with `answer` (by default a small JSON body). */
export async function mockUpstream(answer?: (request: Received, res: ServerResponse, req: IncomingMessage) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      received.push(request);
      if (answer) return answer(request, res, req);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, path: request.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The test vault over a real socket: the broker and the app, as `agent-vault serve` runs them. */
export async function listen(vault: TestVault, options: { trustedProxies?: number } = {}) {
  const http = requestListener(vault.vault, vault.vault.yoga, options);
  const server = createServer(http.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    /** The agent's environment, fetched with its runtime token as `agent-vault run` does. */
    async environment(runtimeToken: string): Promise<Record<string, string>> {
      const response = await fetch(`${origin}/runtime/environment`, {
        method: "POST",
        headers: { authorization: `Bearer ${runtimeToken}` },
      });
      if (response.status !== 200) throw new Error(`environment: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { environment: Record<string, string> }).environment;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await http.close();
    },
  };
}

type Answer = (request: Received, res: ServerResponse) => void;
const streamed = (request: Received) => (JSON.parse(request.body || "{}") as { stream?: boolean }).stream === true;

/** Anthropic's Messages API as a stand-in: `text` whole, or as `parts` in its stream of events. */
export function anthropicAnswer(text: string, parts: readonly string[]): Answer {
  return (request, res) => {
    const stream = streamed(request);
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-test",
      content: stream ? [] : [{ type: "text", text }],
      stop_reason: stream ? null : "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: stream ? 0 : 4 },
    };
    if (!stream) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(message));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    const events: [string, unknown][] = [
      ["message_start", { type: "message_start", message }],
      ["content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }],
      ...parts.map((part): [string, unknown] => [
        "content_block_delta",
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: part } },
      ]),
      ["content_block_stop", { type: "content_block_stop", index: 0 }],
      [
        "message_delta",
        { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } },
      ],
      ["message_stop", { type: "message_stop" }],
    ];
    for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.end();
  };
}

/** OpenAI's chat completions as a stand-in: `text` whole, or as `parts` in chunks ending with [DONE]. */
export function openaiAnswer(text: string, parts: readonly string[]): Answer {
  return (request, res) => {
    const base = { id: "chatcmpl-1", created: 1, model: "gpt-test" };
    if (!streamed(request)) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          ...base,
          object: "chat.completion",
          choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
          usage: { prompt_tokens: 3, completion_tokens: 3, total_tokens: 6 },
        }),
      );
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const content of parts) {
      const chunk = {
        ...base,
        object: "chat.completion.chunk",
        choices: [{ index: 0, delta: { content }, finish_reason: null }],
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.write("data: [DONE]\n\n");
    res.end();
  };
}

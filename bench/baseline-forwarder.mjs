// The broker's baseline: a bare forwarder (node:http and the same HTTP client, undici, with a
// keep-alive pool) that replaces one header and forwards everything else to UPSTREAM, streaming
// both ways. Nothing else: no lookup, no decryption, no checks. Prints its port.
import { createServer } from "node:http";
import { pipeline } from "node:stream";
import { Agent } from "undici";

const upstream = new URL(process.env.UPSTREAM);
const authorization = `Bearer ${process.env.KEY}`;
const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "host", "te", "trailer"]);

const server = createServer(async (request, response) => {
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) if (!HOP.has(name)) headers[name] = value;
  headers.authorization = authorization;
  const controller = new AbortController();
  response.once("close", () => response.writableFinished || controller.abort());
  try {
    const answer = await dispatcher.request({
      origin: upstream.origin,
      path: request.url,
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? null : request,
      signal: controller.signal,
    });
    const out = {};
    for (const [name, value] of Object.entries(answer.headers)) if (!HOP.has(name)) out[name] = value;
    response.writeHead(answer.statusCode, out);
    pipeline(answer.body, response, () => {});
  } catch {
    if (!response.headersSent) response.writeHead(502);
    response.end();
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port)));

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
export async function listen(vault: TestVault) {
  const http = requestListener(vault.vault, vault.vault.yoga);
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

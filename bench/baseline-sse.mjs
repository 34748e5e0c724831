// The baseline for notices: a bare node:http server that broadcasts one server-sent event to every
// connected client. Plain JavaScript, run as its own process, so that its memory compares with
// the vault's.
import { createServer } from "node:http";

const clients = new Set();
const server = createServer((request, response) => {
  if (request.url === "/broadcast") {
    for (const client of clients) client.write(`event: next\ndata: {"hello":"world"}\n\n`);
    response.end(String(clients.size));
    return;
  }
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  response.write(":\n\n");
  clients.add(response);
  request.on("close", () => clients.delete(response));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${typeof address === "object" && address ? address.port : 0}\n`);
});

// A local stand-in for a provider, for the broker's figures: a 1 KB JSON answer (/v1/json), a
// stream of 64 events 20 ms apart, each stamped with when it was sent (/v1/stream), and a stream
// that sends one event and stays open (/v1/hold). Prints its port.
import { createServer } from "node:http";

const json = JSON.stringify({ id: "bench", object: "chat.completion", filler: "x".repeat(980) });
const FRAMES = 64;
const GAP_MS = 20;
const now = () => performance.timeOrigin + performance.now();

const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    if (request.url?.startsWith("/v1/stream")) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      let frame = 0;
      const send = () => {
        response.write(`data: ${JSON.stringify({ frame, sentAt: now() })}\n\n`);
        frame++;
        if (frame === FRAMES) response.end();
        else setTimeout(send, GAP_MS);
      };
      send();
      return;
    }
    if (request.url?.startsWith("/v1/hold")) {
      response.writeHead(200, { "content-type": "text/event-stream" });
      response.write("data: open\n\n");
      return;
    }
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    response.end(json);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => process.stdout.write(String(server.address().port)));

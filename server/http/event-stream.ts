// A server-sent-event response the server pushes to: events are encoded once by the caller and
// written into a plain Node stream that the server pipes to its socket (a web ReadableStream made
// anew per read cost more than the write itself with a thousand subscribers). A comment goes first
// and every `pingMs`, so that proxies keep the connection; a client that leaves more than 1 MiB
// unread is let go rather than held in the server's memory. The shared subscriptions and the
// runtime channel's commands both answer with one.
import { Readable } from "node:stream";
import type { FetchAPI } from "graphql-yoga";

/** Unread bytes a client may leave on the server before its stream is ended. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/** One event in the wire format: `event: <name>` and one `data:` line (JSON has no newline). */
export const encodeEvent = (name: string, data: string) => Buffer.from(`event: ${name}\ndata: ${data}\n\n`);

export type EventStreamWriter = {
  /** Writes an encoded event (encodeEvent); false once the stream has ended. */
  write(event: Buffer): boolean;
  /** Ends the stream after `last`, when given. */
  end(last?: Buffer): void;
};

export function eventStream(
  fetchAPI: FetchAPI,
  options: {
    /** Starts the stream's source; returns what stops it when the client goes away. */
    open(writer: EventStreamWriter): () => void;
    ping: Buffer;
    pingMs: number;
    headers: Record<string, string>;
  },
): Response {
  let stop = () => {};
  let ended = false;
  const body = new Readable({
    read() {},
    destroy(error, callback) {
      clearInterval(ping);
      ended = true;
      stop();
      callback(error);
    },
  });
  const ping = setInterval(() => {
    if (body.readableLength === 0) body.push(options.ping);
  }, options.pingMs);
  body.push(options.ping);
  const writer: EventStreamWriter = {
    write(event) {
      if (ended) return false;
      if (body.readableLength > MAX_UNREAD_BYTES) {
        body.destroy();
        return false;
      }
      body.push(event);
      return true;
    },
    end(last) {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      if (last) body.push(last);
      body.push(null);
    },
  };
  stop = options.open(writer);
  return new fetchAPI.Response(body as unknown as ReadableStream, { status: 200, headers: options.headers });
}

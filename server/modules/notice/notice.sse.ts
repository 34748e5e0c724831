// Server-sent events for the shared notice streams of notice.fanout.ts. Yoga's SSE processor
// serialises and encodes every result once per subscriber, and hands each event through a web
// ReadableStream made anew per read; a notice to a thousand subscribers paid for that a thousand
// times. Here each result (one object shared by every subscriber with the same operation) is
// encoded once, and a subscriber's events are pushed into a plain Node stream that the server
// pipes to its socket. The wire format is yoga's: a ":" comment first and every 12 seconds,
// "event: next" per result, "event: complete" at the end.
import { Readable } from "node:stream";
import type { ExecutionResult } from "graphql";
import type { FetchAPI } from "graphql-yoga";
import type { NoticeSink } from "./notice.hub.ts";

const PING_MS = 12_000;
const PING = Buffer.from(":\n\n");
const COMPLETE = Buffer.from("event: complete\ndata:\n\n");
const HEADERS = {
  "Content-Type": "text/event-stream",
  Connection: "keep-alive",
  "Cache-Control": "no-cache",
  "Content-Encoding": "none",
};

type Extensions = Record<string, unknown> | undefined;

/** What yoga leaves out of every answer: the http extension (status, headers) and `unexpected`. */
function withoutInternals(extensions: Extensions, ...internal: string[]): Extensions {
  if (!extensions) return undefined;
  const kept = Object.fromEntries(Object.entries(extensions).filter(([key]) => !internal.includes(key)));
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function serialise(result: ExecutionResult): string {
  if (!result.errors?.length && !result.extensions) return JSON.stringify(result);
  const errors = result.errors?.map((error) => {
    const json = error.toJSON();
    return { ...json, extensions: withoutInternals(json.extensions, "http", "unexpected") };
  });
  return JSON.stringify({ ...result, errors, extensions: withoutInternals(result.extensions, "http") });
}

const encoded = new WeakMap<ExecutionResult, Buffer>();

/** The event for a result, encoded once however many subscribers it goes to. */
function eventFor(result: ExecutionResult): Buffer {
  let event = encoded.get(result);
  if (!event) {
    event = Buffer.from(`event: next\ndata: ${serialise(result)}\n\n`);
    encoded.set(result, event);
  }
  return event;
}

/** Unread events a subscriber may leave on the server before its stream is ended. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * A yoga result processor for the text/event-stream answers of shared notice streams: the stream
 * joins the user's notices (notice.hub.ts) with a sink that writes each result's event.
 */
export function noticeEventStream(join: (sink: NoticeSink) => () => void, fetchAPI: FetchAPI): Response {
  let leave = () => {};
  let ended = false;
  const body = new Readable({
    read() {},
    destroy(error, callback) {
      clearInterval(ping);
      ended = true;
      leave();
      callback(error);
    },
  });
  const ping = setInterval(() => {
    if (body.readableLength === 0) body.push(PING);
  }, PING_MS);
  body.push(PING);
  leave = join({
    write(result) {
      if (ended) return;
      // A client that does not read is let go rather than held in the server's memory.
      if (body.readableLength > MAX_UNREAD_BYTES) body.destroy();
      else body.push(eventFor(result));
    },
    end(error) {
      if (ended) return;
      ended = true;
      clearInterval(ping);
      if (error) body.push(eventFor({ errors: [error] }));
      body.push(COMPLETE);
      body.push(null);
    },
  });
  return new fetchAPI.Response(body as unknown as ReadableStream, { status: 200, headers: HEADERS });
}

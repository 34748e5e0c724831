// Server-sent events for the shared subscription streams of shared-subscriptions.ts. Yoga's SSE processor
// serialises and encodes every result once per subscriber; here each result (one object shared by
// every subscriber with the same operation) is encoded once, and pushed to every subscriber's
// stream (http/event-stream.ts). The wire format is yoga's: a ":" comment first and every 12
// seconds, "event: next" per result, "event: complete" at the end (tests/api/notice/notice-fanout.test.ts
// compares the two byte for byte).
import type { ExecutionResult } from "graphql";
import type { FetchAPI } from "graphql-yoga";
import type { FeedSink } from "../../events/feeds.ts";
import { encodeEvent, eventStream } from "../../http/event-stream.ts";

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
    event = encodeEvent("next", serialise(result));
    encoded.set(result, event);
  }
  return event;
}

/**
 * A yoga result processor for the text/event-stream answers of shared subscriptions: the stream
 * joins its feed with a sink that writes each result's event, in yoga's wire format.
 */
export function sharedEventStream(join: (sink: FeedSink<ExecutionResult>) => () => void, fetchAPI: FetchAPI): Response {
  return eventStream(fetchAPI, {
    ping: PING,
    pingMs: PING_MS,
    headers: HEADERS,
    open: (writer) =>
      join({
        write: (result) => void writer.write(eventFor(result)),
        end(error) {
          if (error) writer.write(eventFor({ errors: [error] }));
          writer.end(COMPLETE);
        },
      }),
  });
}

// The tripwire's part in one brokered request (broker.routes.ts runs it): the head looked through
// first, the body read whole and looked through under `block`, or passed through a replacer
// (`redact`) or a watcher (`record`) as it streams; what was found recorded once it is all seen.
import type { IncomingHttpHeaders } from "node:http";
import type { LeakFound, LeakService } from "./leak.service.ts";
import type { Watched, WatchedAgent } from "./leak-values.ts";
import { foundInChunks, inspectBody, inspectedStream, inspectHead } from "./request-inspection.ts";

/** Whose request it is and where it goes, for what a find records. */
export type RequestWhere = Omit<LeakFound, "secrets" | "path">;

type Body = Buffer | Buffer[] | AsyncIterable<Buffer> | null;

export type RequestTripwire = {
  /** Under `block` the body is read whole and looked through before anything goes. */
  readonly holdsBody: boolean;
  /** The head as it goes on (under `redact`, each value replaced). */
  head(
    headers: IncomingHttpHeaders,
    target: [string, string],
  ): { headers: IncomingHttpHeaders; target: [string, string] };
  /** Looks through a body read whole, in the chunks it came in. */
  seeChunks(chunks: readonly Buffer[]): void;
  /** Under `block`, when a value was found: recorded, and the message of the refusal; otherwise null. */
  refusal(path: string): Promise<string | null>;
  /** The body as it goes on, whether its length is no longer the agent's; the finds recorded by its end. */
  passing<B extends Body>(body: B, path: string): { body: B | AsyncIterable<Buffer> | Buffer; lengthChanged: boolean };
};

/**
 * The tripwire for a request of `agent`, or null when there is nothing to look for: at once once
 * the agent's values are loaded (a request pays no await for it), a promise the first time.
 */
export function requestTripwire(
  leaks: LeakService,
  agent: WatchedAgent,
  where: RequestWhere,
  onError: (error: unknown) => void,
): RequestTripwire | null | Promise<RequestTripwire | null> {
  if (leaks.policy === "off") return null;
  const watched = leaks.watchOf(agent);
  if (watched instanceof Promise) return watched.then((loaded) => loaded && tripwireFor(leaks, loaded, where, onError));
  return watched && tripwireFor(leaks, watched, where, onError);
}

function tripwireFor(
  leaks: LeakService,
  watched: Watched,
  where: RequestWhere,
  onError: (error: unknown) => void,
): RequestTripwire {
  const policy = leaks.policy as Exclude<LeakService["policy"], "off">;
  const found = new Set<number>();
  const record = (values: Set<number>, path: string) => {
    if (values.size === 0) return Promise.resolve();
    const secrets = [...values].map((index) => watched.secrets[index] as Watched["secrets"][number]);
    return leaks.found({ ...where, secrets, path }, policy);
  };
  const add = (values: Iterable<number>) => {
    for (const value of values) found.add(value);
  };
  return {
    holdsBody: policy === "block",

    head(headers, target) {
      const inspected = inspectHead(watched, headers, target, policy === "redact");
      add(inspected.found);
      return { headers: inspected.headers, target: inspected.target };
    },

    seeChunks(chunks) {
      add(foundInChunks(watched, chunks));
    },

    async refusal(path) {
      if (policy !== "block" || found.size === 0) return null;
      await record(found, path).catch(onError);
      const names = [...found].map((index) => `the value of ${watched.secrets[index]?.name}`).join(" and ");
      const which = found.size > 1 ? "secrets" : "a secret";
      return `Refused: the request carries ${names}, ${which} of ${where.agent.name}'s environment; nothing was forwarded to ${where.upstreamHost}`;
    },

    passing(body, path) {
      if (policy === "block" || body === null) {
        record(found, path).catch(onError);
        return { body, lengthChanged: false };
      }
      const redact = policy === "redact";
      if (Buffer.isBuffer(body)) {
        const inspected = inspectBody(watched, body, redact);
        add(inspected.found);
        record(found, path).catch(onError);
        return { body: inspected.body, lengthChanged: inspected.body !== body };
      }
      const streamed = inspectedStream(watched, body, redact, (more) => {
        add(more);
        record(found, path).catch(onError);
      });
      return { body: streamed, lengthChanged: redact };
    },
  };
}

// Brokered requests in the activity log, aggregated per agent, secret and minute (a busy agent
// must not write an event per request): count, status classes, bytes, and the methods and paths
// used (never a query, a header or a body). Each minute is written once it has ended, or at shutdown.

import type { ActivityService } from "../activity/activity.service.ts";
import type { Doer } from "../activity/activity-event.ts";

const MINUTE_MS = 60_000;
/** Distinct "METHOD /path" kept per minute; the rest are counted. */
const PATHS_KEPT = 20;

export type BrokeredRequest = {
  userId: string;
  keySalt: Uint8Array;
  agent: { id: string; name: string };
  entry: { id: string; name: string };
  runtimeTokenId: string;
  address: string | null;
  method: string;
  path: string;
  status: number;
  bytesIn: number;
  bytesOut: number;
};

type Minute = {
  doer: Doer;
  agent: { id: string; name: string };
  entry: { id: string; name: string };
  start: number;
  requests: number;
  statuses: Record<string, number>;
  bytesIn: number;
  bytesOut: number;
  paths: Set<string>;
  otherPaths: number;
};

export function brokerUsage(deps: { activity: ActivityService; onError: (error: unknown) => void }) {
  const minutes = new Map<string, Minute>();
  let timer: NodeJS.Timeout | undefined;

  async function write(minute: Minute) {
    await deps.activity.recordAlone(minute.doer, {
      action: "BROKER_REQUESTS",
      agent: minute.agent,
      entry: minute.entry,
      details: {
        requests: minute.requests,
        statuses: minute.statuses,
        bytesIn: minute.bytesIn,
        bytesOut: minute.bytesOut,
        paths: [...minute.paths],
        ...(minute.otherPaths > 0 ? { otherPaths: minute.otherPaths } : {}),
        minute: new Date(minute.start).toISOString(),
      },
    });
  }

  async function flush(all: boolean): Promise<void> {
    const current = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
    const due = [...minutes].filter(([, minute]) => all || minute.start < current);
    for (const [key] of due) minutes.delete(key);
    await Promise.all(due.map(([, minute]) => write(minute).catch(deps.onError)));
    if (minutes.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    /** Counts one brokered request (once its response has ended). */
    count(request: BrokeredRequest): void {
      const start = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS;
      const key = `${request.agent.id}|${request.entry.id}|${start}`;
      let minute = minutes.get(key);
      if (!minute) {
        minute = {
          doer: {
            userId: request.userId,
            keySalt: request.keySalt,
            address: request.address,
            actor: {
              kind: "RUNTIME_TOKEN",
              id: request.agent.id,
              name: request.agent.name,
              tokenId: request.runtimeTokenId,
            },
          },
          agent: request.agent,
          entry: request.entry,
          start,
          requests: 0,
          statuses: {},
          bytesIn: 0,
          bytesOut: 0,
          paths: new Set(),
          otherPaths: 0,
        };
        minutes.set(key, minute);
        timer ??= setInterval(() => void flush(false), MINUTE_MS / 4).unref();
      }
      minute.requests++;
      const status = `${Math.floor(request.status / 100)}xx`;
      minute.statuses[status] = (minute.statuses[status] ?? 0) + 1;
      minute.bytesIn += request.bytesIn;
      minute.bytesOut += request.bytesOut;
      const path = `${request.method} ${request.path}`;
      if (minute.paths.has(path) || minute.paths.size < PATHS_KEPT) minute.paths.add(path);
      else minute.otherPaths++;
    },

    /** Writes every minute not yet written (tests, and shutdown). */
    flush: () => flush(true),
  };
}

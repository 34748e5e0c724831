// Runtime environment fetches in the activity log, in batches: an agent polling its environment
// must not write on every read (the runtime fetch is the vault's hottest path). The first fetch of
// an agent and runtime token in a minute is recorded at once, before the fetch answers; the rest
// of that minute as one event with their count when it ends (or at shutdown).
import type { RuntimeViewer } from "../../auth/viewer.ts";
import type { ActivityInput, Doer } from "./activity-event.ts";

/** How long a batch of fetches lasts. */
export const FETCH_WINDOW_MS = 60_000;

type Window = {
  doer: Doer;
  agent: { id: string; name: string };
  tokenId: string;
  start: number;
  more: number;
  entries: number;
};

export function fetchBatches(deps: {
  record: (doer: Doer, input: ActivityInput) => Promise<void>;
  doerOf: (viewer: RuntimeViewer) => Doer;
  onError: (error: unknown) => void;
}) {
  const { record, onError } = deps;
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;

  async function close(key: string, window: Window) {
    windows.delete(key);
    if (window.more === 0) return;
    await record(window.doer, {
      action: "ENVIRONMENT_FETCHED",
      agent: window.agent,
      details: {
        fetches: window.more,
        entries: window.entries,
        runtimeTokenId: window.tokenId,
        since: new Date(window.start).toISOString(),
      },
    });
  }

  async function flush(all: boolean): Promise<void> {
    const now = Date.now();
    const due = [...windows].filter(([, window]) => all || now - window.start >= FETCH_WINDOW_MS);
    await Promise.all(due.map(([key, window]) => close(key, window).catch(onError)));
    if (windows.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  }

  return {
    async fetched(viewer: RuntimeViewer, entries: number): Promise<void> {
      const key = `${viewer.agent.id}:${viewer.tokenId}`;
      const now = Date.now();
      const open = windows.get(key);
      if (open && now - open.start < FETCH_WINDOW_MS) {
        open.more++;
        open.entries = entries;
        return;
      }
      if (open) void close(key, open).catch(onError);
      const agent = { id: viewer.agent.id, name: viewer.agent.name };
      const doer = deps.doerOf(viewer);
      windows.set(key, { doer, agent, tokenId: viewer.tokenId, start: now, more: 0, entries });
      timer ??= setInterval(() => void flush(false), FETCH_WINDOW_MS / 4).unref();
      // A failure to record is reported, not the agent's: the fetch itself changed nothing.
      await record(doer, {
        action: "ENVIRONMENT_FETCHED",
        agent,
        details: { fetches: 1, entries, runtimeTokenId: viewer.tokenId },
      }).catch(onError);
    },

    /** Records the counts not yet recorded (at shutdown). */
    flush: () => flush(true),
  };
}

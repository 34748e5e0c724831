// Open streams (subscriptions, the runtime channel's commands) re-check their token before each
// event and every `intervalMs`, so that they end within that time of a revocation even when the
// revocation's own event never arrives (an instance whose Redis is down). One event reaches
// thousands of subscribers at once, so each token is checked once per event, not once per
// stream; and one timer sweeps every open stream's token, instead of a timer per stream.

export type TokenCheck = (tokenId: string) => Promise<boolean>;

export const STREAM_RECHECK_MS = 30_000;

export type StreamGuard = ReturnType<typeof streamGuard>;

export function streamGuard(check: TokenCheck, intervalMs = STREAM_RECHECK_MS) {
  const byEvent = new WeakMap<object, Map<string, Promise<boolean>>>();
  const open = new Map<string, Set<() => void>>();
  let timer: NodeJS.Timeout | undefined;

  async function sweep() {
    const checks = [...open.keys()].map(async (tokenId) => {
      if (await check(tokenId).catch(() => true)) return;
      for (const end of open.get(tokenId) ?? []) end();
    });
    await Promise.all(checks);
  }

  return {
    /** `check`, shared by every stream that asks about the same token for the same event. */
    beforeEvent(event: object, tokenId: string): Promise<boolean> {
      let checks = byEvent.get(event);
      if (!checks) {
        checks = new Map();
        byEvent.set(event, checks);
      }
      let valid = checks.get(tokenId);
      if (!valid) {
        valid = check(tokenId);
        checks.set(tokenId, valid);
      }
      return valid;
    },

    /** Calls `end` when a sweep finds the token no longer valid; returns the way to stop watching. */
    watch(tokenId: string, end: () => void): () => void {
      let ends = open.get(tokenId);
      if (!ends) {
        ends = new Set();
        open.set(tokenId, ends);
      }
      ends.add(end);
      timer ??= setInterval(() => void sweep(), intervalMs).unref();
      return () => {
        ends.delete(end);
        if (ends.size === 0) open.delete(tokenId);
        if (open.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
  };
}

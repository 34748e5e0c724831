// Open streams (subscriptions, the runtime channel's commands) re-check their token before each
// event and every `intervalMs`, so that they end within that time of a revocation even when the
// revocation's own event never arrives (an instance whose Redis is down). One event reaches
// thousands of subscribers at once: each token is checked once per event, not once per stream.

export type TokenCheck = (tokenId: string) => Promise<boolean>;

export const STREAM_RECHECK_MS = 30_000;

/** `check`, shared by every stream that asks about the same token for the same event. */
export function perEvent(check: TokenCheck): (event: object, tokenId: string) => Promise<boolean> {
  const byEvent = new WeakMap<object, Map<string, Promise<boolean>>>();
  return (event, tokenId) => {
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
  };
}

const RECHECK = Symbol("recheck");

/**
 * The next value of `source`, waking every `intervalMs` to run `onInterval` while none comes.
 * `pending` keeps the source's unanswered next() between calls, so none is ever lost.
 */
export async function nextOrRecheck<T>(
  source: AsyncIterator<T>,
  state: { pending?: Promise<IteratorResult<T>> },
  intervalMs: number,
  onInterval: () => Promise<void>,
): Promise<IteratorResult<T>> {
  for (;;) {
    state.pending ??= source.next();
    let timer: NodeJS.Timeout | undefined;
    const wake = new Promise<typeof RECHECK>((resolve) => {
      timer = setTimeout(() => resolve(RECHECK), intervalMs);
    });
    const first = await Promise.race([state.pending, wake]).finally(() => clearTimeout(timer));
    if (first !== RECHECK) {
      state.pending = undefined;
      return first;
    }
    await onInterval();
  }
}

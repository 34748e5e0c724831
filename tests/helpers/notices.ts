// Collecting what a subscription delivers, in the background, for tests to look at.
import type { RestartNotice } from "@agent-vault/sdk";

export function collect(iterator: AsyncIterable<RestartNotice>) {
  const notices: RestartNotice[] = [];
  const state: { error?: unknown; done: boolean } = { done: false };
  void (async () => {
    try {
      for await (const notice of iterator) notices.push(notice);
    } catch (error) {
      state.error = error;
    } finally {
      state.done = true;
    }
  })();
  return { notices, state };
}

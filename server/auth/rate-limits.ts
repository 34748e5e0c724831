// Rate limits on guessing: failed authentications (per address and per token) and verifySecret
// (per user, per token and per address). In memory, so per server instance.
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

export type RateLimitSettings = { failedAuthPerMinute: number; verifyPerMinute: number };
export const DEFAULT_RATE_LIMITS: RateLimitSettings = { failedAuthPerMinute: 30, verifyPerMinute: 30 };

export type RateLimits = ReturnType<typeof createRateLimits>;

/** Seconds to wait when the key is over its limit, or null. */
async function consume(limiter: RateLimiterMemory, key: string): Promise<number | null> {
  try {
    await limiter.consume(key);
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
    throw rejection;
  }
}

async function blockedFor(limiter: RateLimiterMemory, key: string): Promise<number | null> {
  const state = await limiter.get(key);
  return state && state.consumedPoints >= limiter.points ? Math.max(1, Math.ceil(state.msBeforeNext / 1000)) : null;
}

export function createRateLimits(settings: RateLimitSettings = DEFAULT_RATE_LIMITS) {
  const failedAuth = new RateLimiterMemory({ points: settings.failedAuthPerMinute, duration: 60 });
  const verify = new RateLimiterMemory({ points: settings.verifyPerMinute, duration: 60 });
  return {
    /** Seconds an address or a token must wait before trying to authenticate again, or null. */
    async authenticationBlocked(address: string, tokenHash: string | null): Promise<number | null> {
      return (
        (await blockedFor(failedAuth, `address:${address}`)) ??
        (tokenHash ? await blockedFor(failedAuth, `token:${tokenHash}`) : null)
      );
    },
    async authenticationFailed(address: string, tokenHash: string | null): Promise<void> {
      await consume(failedAuth, `address:${address}`);
      if (tokenHash) await consume(failedAuth, `token:${tokenHash}`);
    },
    /** Counts a verifySecret attempt; seconds to wait when one of its limits is reached, or null. */
    async verifyAttempt(userId: string, tokenId: string, address: string): Promise<number | null> {
      const waits = await Promise.all([
        consume(verify, `user:${userId}`),
        consume(verify, `token:${tokenId}`),
        consume(verify, `address:${address}`),
      ]);
      const blocked = waits.filter((wait): wait is number => wait !== null);
      return blocked.length ? Math.max(...blocked) : null;
    },
  };
}

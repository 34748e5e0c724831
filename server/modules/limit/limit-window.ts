// A limit's window: calendar periods in UTC (a minute, an hour, a day, a month), each starting
// afresh at its boundary.

export const LIMIT_WINDOWS = ["MINUTE", "HOUR", "DAY", "MONTH"] as const;
export type LimitWindow = (typeof LIMIT_WINDOWS)[number];

const LENGTH_MS: Record<Exclude<LimitWindow, "MONTH">, number> = {
  MINUTE: 60_000,
  HOUR: 3_600_000,
  DAY: 86_400_000,
};

/** The start of the window that holds `at` (milliseconds since 1970, UTC). */
export function windowStart(window: LimitWindow, at: number): number {
  if (window === "MONTH") {
    const date = new Date(at);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  const length = LENGTH_MS[window];
  return Math.floor(at / length) * length;
}

/** When the window that holds `at` ends: the next one's start. */
export function windowEnd(window: LimitWindow, at: number): number {
  if (window === "MONTH") {
    const date = new Date(at);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return windowStart(window, at) + LENGTH_MS[window];
}

/** Whole seconds until the window that holds `at` ends (at least 1): a 429's retry-after. */
export function secondsToReset(window: LimitWindow, at: number): number {
  return Math.max(1, Math.ceil((windowEnd(window, at) - at) / 1000));
}

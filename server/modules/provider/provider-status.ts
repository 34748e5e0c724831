// An AI provider card's status, and when an OAuth connection's token is due for renewal.

export type ProviderStatus = "CONNECTED" | "EXPIRING" | "NEEDS_REAUTH" | "DISCONNECTED";

/** Renewed this long before expiry at most, and a fifth of the token's lifetime before it at least. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

type Lifetime = {
  method: string;
  expiresAt: Date | null;
  connectedAt: Date;
  lastRefreshedAt: Date | null;
  needsReauth: boolean;
  refreshFailures: number;
};

/**
 * When the token is due for renewal: once less than a fifth of its lifetime, or five minutes,
 * remain, whichever is less (so that a token that lives 20 s is renewed after 16 s, not at once
 * and again and again).
 */
export function refreshDueAt(connection: Pick<Lifetime, "expiresAt" | "connectedAt" | "lastRefreshedAt">): Date | null {
  if (!connection.expiresAt) return null;
  const issued = (connection.lastRefreshedAt ?? connection.connectedAt).getTime();
  const lifetime = Math.max(0, connection.expiresAt.getTime() - issued);
  return new Date(connection.expiresAt.getTime() - Math.min(lifetime / 5, REFRESH_AHEAD_MS));
}

export function providerStatus(connected: boolean, connection: Lifetime | null, now = Date.now()): ProviderStatus {
  if (!connected) return "DISCONNECTED";
  if (connection?.method !== "OAUTH") return "CONNECTED";
  if (connection.needsReauth) return "NEEDS_REAUTH";
  const due = refreshDueAt(connection);
  if (connection.refreshFailures > 0 || (due && due.getTime() <= now)) return "EXPIRING";
  return "CONNECTED";
}

/** Waits before the next try after `failures` temporary failures in a row: 5 s, doubling, at most 5 min. */
export const retryDelayMs = (failures: number) => Math.min(5_000 * 2 ** Math.max(0, failures - 1), 5 * 60_000);

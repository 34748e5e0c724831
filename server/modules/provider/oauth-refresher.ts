// The vault renews OAuth tokens itself before they expire: every few seconds it looks for
// connections that are due (provider-status.ts), and renews each through the provider service,
// which takes a lease so that one instance renews each expiry.
import { type RawSql, storedDate } from "../../db/database.ts";
import type { ProviderService } from "./provider.service.ts";
import { refreshDueAt } from "./provider-status.ts";
import type { Provider } from "./providers.ts";

export const REFRESH_CHECK_MS = 2_000;

// The few columns a check needs, without Prisma (it runs every few seconds on an idle server).
const CANDIDATES = `SELECT "id", "userId", "provider", "expiresAt", "connectedAt", "lastRefreshedAt", "nextRefreshAt",
  "refreshLeaseUntil" FROM "ProviderConnection"
  WHERE "method" = 'OAUTH' AND "needsReauth" = FALSE AND "refreshCiphertext" IS NOT NULL AND "expiresAt" IS NOT NULL`;

export type OAuthRefresher = ReturnType<typeof oauthRefresher>;

export function oauthRefresher(deps: {
  raw: RawSql;
  providers: ProviderService;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}) {
  const { raw, providers } = deps;
  const onError = deps.onError ?? (() => {});
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  async function check(now = Date.now()): Promise<void> {
    for (const row of await raw(CANDIDATES)) {
      const expiresAt = storedDate(row.expiresAt) as Date;
      const due = refreshDueAt({
        expiresAt,
        connectedAt: storedDate(row.connectedAt) as Date,
        lastRefreshedAt: storedDate(row.lastRefreshedAt),
      });
      const waitUntil = Math.max(
        storedDate(row.nextRefreshAt)?.getTime() ?? 0,
        storedDate(row.refreshLeaseUntil)?.getTime() ?? 0,
      );
      if (!due || due.getTime() > now || waitUntil > now) continue;
      await providers
        .refreshDue({ id: String(row.id), userId: String(row.userId), provider: row.provider as Provider, expiresAt })
        .catch(onError);
    }
  }

  return {
    /** One look for due connections (the timer's; tests call it too). */
    check(): Promise<void> {
      running ??= check().finally(() => {
        running = null;
      });
      return running;
    },
    start() {
      timer ??= setInterval(() => void this.check().catch(onError), deps.intervalMs ?? REFRESH_CHECK_MS).unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => {});
    },
  };
}

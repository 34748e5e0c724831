// The vault renews OAuth tokens itself before they expire: every few seconds it looks for
// connections that are due (provider-status.ts), and renews each through the provider service,
// which takes a lease so that one instance renews each expiry.
import type { Sql } from "../../db/database.ts";
import { renewableConnections } from "./provider.dal.ts";
import type { ProviderService } from "./provider.service.ts";
import { refreshDueAt } from "./provider-status.ts";
import type { Provider } from "./providers.ts";

export const REFRESH_CHECK_MS = 2_000;

export type OAuthRefresher = ReturnType<typeof oauthRefresher>;

export function oauthRefresher(deps: {
  sql: Sql;
  providers: ProviderService;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}) {
  const { sql, providers } = deps;
  const onError = deps.onError ?? (() => {});
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;

  async function check(now = Date.now()): Promise<void> {
    for (const row of await renewableConnections(sql)) {
      const due = refreshDueAt(row);
      const waitUntil = Math.max(row.nextRefreshAt?.getTime() ?? 0, row.refreshLeaseUntil?.getTime() ?? 0);
      if (!due || due.getTime() > now || waitUntil > now) continue;
      await providers
        .refreshDue({ id: row.id, userId: row.userId, provider: row.provider as Provider, expiresAt: row.expiresAt })
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

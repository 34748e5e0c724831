// The vault without any server: its database (migrated), its keys (checked), its events and its
// services. `agent-vault serve` puts the app on top; the other server commands use it as is.

import { randomBytes } from "node:crypto";
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "./auth/rate-limits.ts";
import type { Config } from "./config.ts";
import { ActivityKeys } from "./crypto/activity-keys.ts";
import { OAuthStateSealer } from "./crypto/oauth-state.ts";
import { openingThread } from "./crypto/opening-thread.ts";
import { RowBinder } from "./crypto/row-binding.ts";
import { sealingThread } from "./crypto/sealing-thread.ts";
import { TokenHasher } from "./crypto/token-hash.ts";
import { UserKeyring } from "./crypto/user-keys.ts";
import { type Db, databaseTarget, type Provider, type Sql, type TransactionBounds } from "./db/database.ts";
import { verifyMasterKeys } from "./db/key-check.ts";
import { applyMigrations } from "./db/migrate.ts";
import { openDatabase } from "./db/open.ts";
import { loadTokenHashKey } from "./db/token-hash-key.ts";
import { unitsOfWork } from "./db/unit-of-work.ts";
import { createVaultEvents, type VaultEvents } from "./events/events.ts";
import { type UpstreamSettings, upstreamSettings } from "./modules/broker/upstream.ts";
import { discardAbandonedStages, STAGED_IMPORT_ROWS } from "./modules/import/staged-import.ts";
import { legacyRowsWaiting } from "./modules/keys/legacy-rows.ts";
import { leakPolicy } from "./modules/leak/leak-policy.ts";
import { type PriceTable, priceTable } from "./modules/limit/prices.ts";
import { type OAuthIssuer, oauthIssuer } from "./modules/provider/oauth-issuer.ts";
import { oauthRefresher } from "./modules/provider/oauth-refresher.ts";
import { type ProviderBaseUrls, providerBaseUrls } from "./modules/provider/providers.ts";
import { createServices, type Services } from "./services.ts";

export type VaultConfig = Pick<Config, "databaseUrl" | "masterKeys" | "masterKeySource" | "redisUrl"> &
  Partial<Pick<Config, "versionsKept" | "activityDays" | "leakPolicy">> & {
    /** What the vault's Redis channel names start with (AGENT_VAULT_REDIS_PREFIX; default agent-vault:). */
    redisPrefix?: string;
    providerBaseUrls?: ProviderBaseUrls;
    /** Where brokered values may go (default: from the environment, modules/broker/upstream.ts). */
    upstreams?: UpstreamSettings;
    /** Where agents reach the broker (default: AGENT_VAULT_PUBLIC_URL; otherwise where they reached the vault). */
    publicUrl?: string;
    /** What models' tokens cost (default: AGENT_VAULT_PRICES, or the shipped table; modules/limit/prices.ts). */
    prices?: PriceTable;
    /** The time limits' windows are read at, in milliseconds since 1970 (default Date.now; tests move it). */
    now?: () => number;
    /** The OAuth issuer for OpenAI tokens (default: AGENT_VAULT_OPENAI_ISSUER, or OpenAI's). */
    oauthIssuer?: OAuthIssuer;
    rateLimits?: Partial<RateLimitSettings>;
    /** How often the vault looks for OAuth tokens due for renewal (default 2 s); 0 turns it off. */
    oauthRefreshCheckMs?: number;
    /** How long an ON_CHANGE agent's changes must settle before the vault restarts it (default 2 s). */
    restartSettleMs?: number;
    /** How often open streams re-check their token (default 30 s; tests shorten it). */
    streamRecheckMs?: number;
    /** How long a console session lasts unused (default 12 hours). */
    sessionIdleMs?: number;
    /** How long an agent's values stay in memory for the leak tripwire after its last brokered request (default 10 minutes). */
    leakIdleMs?: number;
    /** The import's sealing thread: how long a batch waits for it, how it starts (tests make it fail). */
    sealingThread?: Parameters<typeof sealingThread>[0];
    /** The agents' environments' opening thread: how long a batch waits for it, how it starts. */
    openingThread?: Parameters<typeof openingThread>[0];
    /** How long a transaction may run and wait (db/database.ts's TRANSACTION_BOUNDS; tests shorten them). */
    transactionBounds?: TransactionBounds;
    /** Hears every SQL statement the vault sends (the benchmarks count them). */
    onQuery?: (sql: string) => void;
    /** Warnings about the vault's surroundings (Redis unreachable...). */
    warn?: (line: string) => void;
    /**
     * Writes at start (default true; read-only commands pass false): the key check of a master key
     * version used for the first time, and the token hash key sealed under the current version.
     */
    maintenance?: boolean;
    /**
     * Opens values sealed before the entry's kind was bound (format 1): only for `keys adopt --yes`,
     * which seals them again. A server refuses them.
     */
    readsFormat1?: boolean;
  };

const FIRST_PRUNE_MS = 60_000;
const PRUNE_EVERY_MS = 24 * 60 * 60 * 1000;

export type Vault = {
  db: Db;
  /** Plain SQL on the same database (the hot paths' statements). */
  sql: Sql;
  /** Master key versions without a key check yet (only when opened with recordKeyChecks: false). */
  uncheckedKeyVersions: number[];
  provider: Provider;
  /** Signs what token and attachment rows grant (keys adopt binds rows with it). */
  binder: RowBinder;
  events: VaultEvents;
  services: Services;
  close(): Promise<void>;
};

/** Said when a write changed what placeholders open without waiting for the other instances (a defect). */
export const UNHEARD_WRITE =
  "A write changed what placeholders open outside the database layer's transactions: other instances were not waited for";

export async function openVault(config: VaultConfig): Promise<Vault> {
  const target = databaseTarget(config.databaseUrl);
  await applyMigrations(target);
  const warn = config.warn ?? (() => {});
  let lastWatchWarning = 0;
  const database = await openDatabase(target, {
    onQuery: config.onQuery,
    transactionBounds: config.transactionBounds,
    changeWatch: {
      onUnheardWrite: (table) => warn(`${UNHEARD_WRITE} (${table})`),
      // A listener that cannot reach the database retries every second: said once in a while.
      onError: (error) => {
        if (Date.now() - lastWatchWarning < 10_000) return;
        lastWatchWarning = Date.now();
        warn(
          `Listening for changes failed (${(error as Error)?.message ?? error}); grants are read on every request until it is back`,
        );
      },
    },
  });
  let unchecked: number[];
  try {
    ({ unchecked } = await verifyMasterKeys(database.sql, config.masterKeys, {
      setting: config.masterKeySource,
      record: config.maintenance ?? true,
    }));
  } catch (error) {
    await database.close();
    throw error;
  }
  // A read-only command on a vault that never had one gets a key of no use: nothing is hashed with it.
  const tokenHashKey =
    (await loadTokenHashKey(database.sql, config.masterKeys, config.maintenance ?? true).catch(async (error) => {
      await database.close();
      throw error;
    })) ?? randomBytes(32);
  const redis = config.redisUrl ? (await import("./events/redis.ts")).redisEventTarget(config.redisUrl, warn) : null;
  const events = createVaultEvents(redis?.target, config.redisPrefix);
  const binder = new RowBinder(tokenHashKey);
  const keyring = new UserKeyring(config.masterKeys, { readsFormat1: config.readsFormat1 ?? false });
  const sealing = sealingThread(config.sealingThread);
  const opening = openingThread(config.openingThread);
  const services = createServices({
    db: database.db,
    sql: database.sql,
    // Every write is a unit of work: a transaction, and what happens once it commits.
    uow: unitsOfWork({ ...database, onHookError: (error) => warn(`After a commit: ${(error as Error)?.message}`) }),
    importStaging:
      database.provider === "postgresql"
        ? { from: Number.POSITIVE_INFINITY, withUpdates: true }
        : { from: STAGED_IMPORT_ROWS, withUpdates: false },
    keyring,
    sealing,
    opening,
    hasher: new TokenHasher(tokenHashKey),
    binder,
    chainKeys: new ActivityKeys(tokenHashKey),
    oauthStates: new OAuthStateSealer(tokenHashKey),
    events,
    rateLimits: createRateLimits({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }),
    providerBaseUrls: config.providerBaseUrls ?? providerBaseUrls(),
    oauthIssuer: config.oauthIssuer ?? oauthIssuer(),
    upstreams: config.upstreams ?? upstreamSettings(),
    publicUrl: config.publicUrl ?? (process.env.AGENT_VAULT_PUBLIC_URL || undefined),
    prices: config.prices ?? priceTable(),
    leakPolicy: config.leakPolicy ?? leakPolicy(),
    now: config.now,
    // A SQLite vault is one process: its limits are counted in memory (limit-counters.ts).
    limitCounting: database.provider === "sqlite" ? "in-process" : "shared",
    changes: database.changes,
    streamRecheckMs: config.streamRecheckMs,
    sessionIdleMs: config.sessionIdleMs,
    leakIdleMs: config.leakIdleMs,
    versionsKept: config.versionsKept,
    restartSettleMs: config.restartSettleMs,
    activityDays: config.activityDays,
    onBackgroundError: (error) => warn(`Recording activity failed: ${(error as Error)?.message ?? error}`),
    warn,
  });
  if (config.maintenance ?? true) {
    const discarded = await discardAbandonedStages(database.sql, database.provider === "sqlite");
    if (discarded > 0) warn(`Removed ${discarded} staged rows of imports that did not finish`);
  }
  if ((config.maintenance ?? true) && (await legacyRowsWaiting(database.sql))) {
    warn(
      "Some token or attachment rows have no keyed hash or binding (from before they were bound, or written into the database by someone else): they grant nothing. agent-vault keys adopt lists them.",
    );
  }
  // OAuth tokens are renewed before they expire, by the servers (not by one-off server commands).
  const refresher = oauthRefresher({
    sql: database.sql,
    providers: services.providers,
    intervalMs: config.oauthRefreshCheckMs,
    onError: (error) => warn(`Renewing an OAuth token failed: ${(error as Error)?.message ?? error}`),
  });
  if ((config.maintenance ?? true) && config.oauthRefreshCheckMs !== 0) refresher.start();
  // Old activity is pruned a minute after start (not during it: pruning loads Prisma's query
  // compiler) and then daily, by every instance (pruning twice is harmless).
  let pruning: NodeJS.Timeout | undefined;
  if (config.maintenance ?? true) {
    const prune = () => {
      services.activity.prune().catch((error) => warn(`Pruning activity failed: ${error?.message}`));
      services.limits.prune().catch((error) => warn(`Pruning usage failed: ${error?.message}`));
      services.imports.prune().catch((error) => warn(`Pruning imports failed: ${error?.message}`));
      pruning = setTimeout(prune, PRUNE_EVERY_MS).unref();
    };
    pruning = setTimeout(prune, FIRST_PRUNE_MS).unref();
  }
  return {
    db: database.db,
    sql: database.sql,
    uncheckedKeyVersions: unchecked,
    provider: database.provider,
    binder,
    events,
    services,
    close: async () => {
      clearTimeout(pruning);
      services.restarts.stop();
      await refresher.stop();
      await services.activity.flushFetches().catch(() => {});
      await services.broker.flush().catch(() => {});
      await services.limits.flush().catch(() => {});
      services.leaks.close();
      redis?.close();
      await sealing.close();
      await opening.close();
      await database.close();
    },
  };
}

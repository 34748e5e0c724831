// The vault without any server: its database (migrated), its keys (checked), its events and its
// services. `agent-vault serve` puts the app on top; the other server commands use it as is.

import { randomBytes } from "node:crypto";
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "./auth/rate-limits.ts";
import type { Config } from "./config.ts";
import { TokenHasher } from "./crypto/token-hash.ts";
import { UserKeyring } from "./crypto/user-keys.ts";
import { type Db, databaseTarget, type Provider, type RawSql } from "./db/database.ts";
import { verifyMasterKeys } from "./db/key-check.ts";
import { applyMigrations } from "./db/migrate.ts";
import { openDatabase } from "./db/open.ts";
import { loadTokenHashKey } from "./db/token-hash-key.ts";
import { createVaultEvents, type VaultEvents } from "./events/events.ts";
import { type OAuthIssuer, oauthIssuer } from "./modules/provider/oauth-issuer.ts";
import { type ProviderBaseUrls, providerBaseUrls } from "./modules/provider/providers.ts";
import { createServices, type Services } from "./services.ts";

export type VaultConfig = Pick<Config, "databaseUrl" | "masterKeys" | "masterKeySource" | "redisUrl"> & {
  /** What the vault's Redis channel names start with (AGENT_VAULT_REDIS_PREFIX; default agent-vault:). */
  redisPrefix?: string;
  providerBaseUrls?: ProviderBaseUrls;
  /** The OAuth issuer for OpenAI tokens (default: AGENT_VAULT_OPENAI_ISSUER, or OpenAI's). */
  oauthIssuer?: OAuthIssuer;
  rateLimits?: Partial<RateLimitSettings>;
  /** How often open streams re-check their token (default 30 s; tests shorten it). */
  streamRecheckMs?: number;
  /** Hears every SQL statement the vault sends (the benchmarks count them). */
  onQuery?: (sql: string) => void;
  /** Warnings about the vault's surroundings (Redis unreachable...). */
  warn?: (line: string) => void;
  /**
   * Writes at start (default true; read-only commands pass false): the key check of a master key
   * version used for the first time, keyed hashes for tokens from before them, and stored values
   * moved to the current format once.
   */
  maintenance?: boolean;
};

export type Vault = {
  db: Db;
  /** Master key versions without a key check yet (only when opened with recordKeyChecks: false). */
  uncheckedKeyVersions: number[];
  provider: Provider;
  events: VaultEvents;
  services: Services;
  close(): Promise<void>;
};

export async function openVault(config: VaultConfig): Promise<Vault> {
  const target = databaseTarget(config.databaseUrl);
  await applyMigrations(target);
  const database = await openDatabase(target, { onQuery: config.onQuery });
  let unchecked: number[];
  try {
    ({ unchecked } = await verifyMasterKeys(database.raw, config.masterKeys, {
      setting: config.masterKeySource,
      record: config.maintenance ?? true,
    }));
  } catch (error) {
    await database.close();
    throw error;
  }
  // A read-only command on a vault that never had one gets a key of no use: nothing is hashed with it.
  const tokenHashKey =
    (await loadTokenHashKey(database.raw, config.masterKeys, config.maintenance ?? true).catch(async (error) => {
      await database.close();
      throw error;
    })) ?? randomBytes(32);
  const warn = config.warn ?? (() => {});
  const redis = config.redisUrl ? (await import("./events/redis.ts")).redisEventTarget(config.redisUrl, warn) : null;
  const events = createVaultEvents(redis?.target, config.redisPrefix);
  const services = createServices({
    db: database.db,
    raw: database.raw,
    insertRows: database.insertRows,
    keyring: new UserKeyring(config.masterKeys),
    hasher: new TokenHasher(tokenHashKey),
    events,
    rateLimits: createRateLimits({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }),
    providerBaseUrls: config.providerBaseUrls ?? providerBaseUrls(),
    oauthIssuer: config.oauthIssuer ?? oauthIssuer(),
    streamRecheckMs: config.streamRecheckMs,
  });
  if (config.maintenance ?? true) await maintain(database.raw, services, warn);
  return {
    db: database.db,
    uncheckedKeyVersions: unchecked,
    provider: database.provider,
    events,
    services,
    close: async () => {
      redis?.close();
      await database.close();
    },
  };
}

const VALUES_FORMAT_MARK = "stored-values-format:2";

/**
 * Once per vault: tokens from before keyed hashes get keyed ones (they keep working), and values
 * from before the entry's kind was bound into their ciphertexts are sealed again in the current
 * format. Each is checked with one plain statement on later starts.
 */
async function maintain(raw: RawSql, services: Services, warn: (line: string) => void) {
  const [legacy] = await raw(
    'SELECT (SELECT COUNT(*) FROM "ApiToken" WHERE "hashKeyVersion" IS NULL) + (SELECT COUNT(*) FROM "RuntimeToken" WHERE "hashKeyVersion" IS NULL) AS "count"',
  );
  if (Number(legacy?.count ?? 0) > 0) await services.tokens.keyLegacyHashes();
  const [marked] = await raw('SELECT 1 AS "done" FROM "VaultMeta" WHERE "key" = ?', [VALUES_FORMAT_MARK]);
  if (marked) return;
  const report = await services.keys.rewrap();
  for (const item of report.unreadable) {
    warn(
      `The ${item.what} of ${item.name} (entry ${item.entryId}) cannot be read: ${item.reason}; it was left as it is`,
    );
  }
  await raw('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [
    VALUES_FORMAT_MARK,
    new Date().toISOString(),
  ]);
}

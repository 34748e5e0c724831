// The vault without any server: its database (migrated), its keys (checked), its events and its
// services. `agent-vault serve` puts the app on top; the other server commands use it as is.
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "./auth/rate-limits.ts";
import type { Config } from "./config.ts";
import { UserKeyring } from "./crypto/user-keys.ts";
import { type Db, databaseTarget, type Provider } from "./db/database.ts";
import { verifyMasterKeys } from "./db/key-check.ts";
import { applyMigrations } from "./db/migrate.ts";
import { openDatabase } from "./db/open.ts";
import { createVaultEvents, type VaultEvents } from "./events/events.ts";
import { type ProviderBaseUrls, providerBaseUrls } from "./modules/provider/providers.ts";
import { createServices, type Services } from "./services.ts";

export type VaultConfig = Pick<Config, "databaseUrl" | "masterKeys" | "masterKeySource" | "redisUrl"> & {
  providerBaseUrls?: ProviderBaseUrls;
  rateLimits?: Partial<RateLimitSettings>;
  /** Hears every SQL statement the vault sends (the benchmarks count them). */
  onQuery?: (sql: string) => void;
  /** Warnings about the vault's surroundings (Redis unreachable...). */
  warn?: (line: string) => void;
  /** Store the key check of a master key version used for the first time (read-only commands do not). */
  recordKeyChecks?: boolean;
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
      record: config.recordKeyChecks ?? true,
    }));
  } catch (error) {
    await database.close();
    throw error;
  }
  const warn = config.warn ?? (() => {});
  const redis = config.redisUrl ? (await import("./events/redis.ts")).redisEventTarget(config.redisUrl, warn) : null;
  const events = createVaultEvents(redis?.target);
  const services = createServices({
    db: database.db,
    raw: database.raw,
    insertRows: database.insertRows,
    keyring: new UserKeyring(config.masterKeys),
    events,
    rateLimits: createRateLimits({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }),
    providerBaseUrls: config.providerBaseUrls ?? providerBaseUrls(),
  });
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

// Configuration from the environment. Errors name the setting, never its value.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MASTER_KEY_BYTES, MasterKeyError, type MasterKeyRing, parseMasterKeys } from "./crypto/master-key.ts";
import { type LeakPolicy, leakPolicy } from "./modules/leak/leak-policy.ts";

export type Config = {
  port: number;
  /** The address to listen on (HOST): loopback on a developer's vault, every interface in production. */
  host: string;
  dataDir: string;
  databaseUrl: string;
  masterKeys: MasterKeyRing;
  /** Where the master keys came from: the setting to name in messages. */
  masterKeySource: string;
  production: boolean;
  /** With Redis, notices and restart commands reach every server instance. */
  redisUrl?: string;
  /** What the vault's Redis channel names start with. */
  redisPrefix?: string;
  /** Introspection is off under NODE_ENV=production, or with AGENT_VAULT_INTROSPECTION=false. */
  introspection: boolean;
  /**
   * How many proxies of yours stand in front of the vault (AGENT_VAULT_TRUST_PROXY: true is one, or
   * a number): client addresses are read from X-Forwarded-For past them. 0: the socket's address.
   */
  trustedProxies: number;
  /** Web origins allowed to call the API from a browser (AGENT_VAULT_CORS_ORIGINS, comma-separated). */
  corsOrigins: string[];
  /** Versions kept of each entry, the current one included (AGENT_VAULT_VERSIONS_KEPT; default 50). */
  versionsKept: number;
  /** Days the activity log keeps events (AGENT_VAULT_ACTIVITY_DAYS; default 365). */
  activityDays: number;
  /** What the broker does with a request carrying an environment secret's value (AGENT_VAULT_LEAK_POLICY). */
  leakPolicy: LeakPolicy;
};

export type Env = Record<string, string | undefined>;

export const GENERATED_KEY_FILE = "master.key";

type KeySource = { masterKeys: MasterKeyRing; masterKeySource: string };

function loadMasterKeys(
  env: Env,
  dataDir: string,
  production: boolean,
  warn: (line: string) => void,
  initialised: () => boolean,
): KeySource {
  if (env.AGENT_VAULT_MASTER_KEY !== undefined) {
    const source = "AGENT_VAULT_MASTER_KEY";
    return { masterKeys: parseMasterKeys(env.AGENT_VAULT_MASTER_KEY, source), masterKeySource: source };
  }
  if (env.AGENT_VAULT_MASTER_KEY_FILE !== undefined) {
    let text: string;
    try {
      text = readFileSync(env.AGENT_VAULT_MASTER_KEY_FILE, "utf8");
    } catch {
      throw new MasterKeyError("AGENT_VAULT_MASTER_KEY_FILE cannot be read");
    }
    const source = "AGENT_VAULT_MASTER_KEY_FILE";
    return { masterKeys: parseMasterKeys(text, source), masterKeySource: source };
  }
  if (production) {
    throw new MasterKeyError(
      "NODE_ENV=production requires AGENT_VAULT_MASTER_KEY or AGENT_VAULT_MASTER_KEY_FILE (32 random bytes in base64)",
    );
  }
  const keyPath = path.join(dataDir, GENERATED_KEY_FILE);
  if (!existsSync(keyPath) && initialised()) {
    // A new key would read nothing stored, and lock the real one out: never make one here.
    throw new MasterKeyError(
      `The vault in ${dataDir} has a database but no ${GENERATED_KEY_FILE}: restore ${keyPath} from your backup (no other key can read what the vault stores), or give the key in AGENT_VAULT_MASTER_KEY`,
    );
  }
  if (!existsSync(keyPath)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyPath, `${randomBytes(MASTER_KEY_BYTES).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(keyPath, 0o600);
    warn(
      `No master key was configured: generated one in ${keyPath} (mode 0600). Fine on a developer's machine; ` +
        "in production set AGENT_VAULT_MASTER_KEY or AGENT_VAULT_MASTER_KEY_FILE, and back the key up.",
    );
  }
  return { masterKeys: parseMasterKeys(readFileSync(keyPath, "utf8"), keyPath), masterKeySource: keyPath };
}

function trustedProxies(setting: string | undefined): number {
  if (!setting || setting === "false") return 0;
  if (setting === "true") return 1;
  const hops = Number(setting);
  if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
    throw new ConfigError("AGENT_VAULT_TRUST_PROXY must be true, false or the number of proxies in front of the vault");
  }
  return hops;
}

function positiveNumber(env: Env, setting: string, fallback: number, options: { integer: boolean }): number {
  const text = env[setting];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (options.integer && !Number.isInteger(value))) {
    throw new ConfigError(`${setting} must be a positive ${options.integer ? "whole " : ""}number`);
  }
  return value;
}

/** A setting that cannot be used; the message names it, never its value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type ConfigOptions = {
  /**
   * Whether this command may start a new vault in the default data directory (serve does). Others
   * refuse a ./data that does not exist, naming it, rather than silently creating a second vault
   * with a new key wherever they happen to run.
   */
  mayCreate?: boolean;
  warn?: (line: string) => void;
  /** Told when a new vault's data directory is created. */
  onCreate?: (dataDir: string) => void;
};

/** Where `serve` listens: PORT (default 4000) and HOST (loopback, or every interface in production). */
export function listenAddress(env: Env = process.env): { port: number; host: string } {
  const portText = env.PORT || "4000";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new ConfigError("PORT must be a port number (0 to 65535)");
  const host = env.HOST || (env.NODE_ENV === "production" ? "::" : "127.0.0.1");
  return { port, host };
}

export function loadConfig(env: Env = process.env, options: ConfigOptions = {}): Config {
  const warn = options.warn ?? console.warn;
  const production = env.NODE_ENV === "production";
  const dataDir = path.resolve(env.AGENT_VAULT_DATA_DIR || "data");
  const { port, host } = listenAddress(env);
  // Every setting that can be wrong is read before anything is created.
  const leaks = leakPolicy(env);
  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, "vault.db")}`;
  const needsDataDir =
    databaseUrl.startsWith("file:") || (env.AGENT_VAULT_MASTER_KEY === undefined && !env.AGENT_VAULT_MASTER_KEY_FILE);
  if (needsDataDir && !existsSync(dataDir)) {
    // An explicit AGENT_VAULT_DATA_DIR is the operator's choice; the default one, a guess.
    if (!options.mayCreate && !env.AGENT_VAULT_DATA_DIR) {
      throw new ConfigError(
        `No vault in ${dataDir}: run this where the vault's data directory is, or set AGENT_VAULT_DATA_DIR (only serve creates a new vault)`,
      );
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    options.onCreate?.(dataDir);
  }
  // A SQLite vault whose file exists was initialised: its key must be the one it was made with.
  const initialised = () => databaseUrl.startsWith("file:") && existsSync(databaseUrl.slice("file:".length));
  const keys = loadMasterKeys(env, dataDir, production, warn, initialised);
  return {
    port,
    host,
    dataDir,
    databaseUrl,
    ...keys,
    production,
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.AGENT_VAULT_REDIS_PREFIX || undefined,
    introspection: env.AGENT_VAULT_INTROSPECTION ? env.AGENT_VAULT_INTROSPECTION !== "false" : !production,
    trustedProxies: trustedProxies(env.AGENT_VAULT_TRUST_PROXY),
    corsOrigins: (env.AGENT_VAULT_CORS_ORIGINS ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter(Boolean),
    versionsKept: positiveNumber(env, "AGENT_VAULT_VERSIONS_KEPT", 50, { integer: true }),
    activityDays: positiveNumber(env, "AGENT_VAULT_ACTIVITY_DAYS", 365, { integer: false }),
    leakPolicy: leaks,
  };
}

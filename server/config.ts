// Configuration from the environment. Errors name the setting, never its value.

import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MASTER_KEY_BYTES, MasterKeyError, type MasterKeyRing, parseMasterKeys } from "./crypto/master-key.ts";

export type Config = {
  port: number;
  dataDir: string;
  databaseUrl: string;
  masterKeys: MasterKeyRing;
  /** Where the master keys came from: the setting to name in messages. */
  masterKeySource: string;
  production: boolean;
  /** With Redis, notices and restart commands reach every server instance. */
  redisUrl?: string;
  /** Introspection is off under NODE_ENV=production, or with AGENT_VAULT_INTROSPECTION=false. */
  introspection: boolean;
  /** Take client addresses from X-Forwarded-For (AGENT_VAULT_TRUST_PROXY=true, behind your own proxy). */
  trustProxy: boolean;
};

export type Env = Record<string, string | undefined>;

export const GENERATED_KEY_FILE = "master.key";

type KeySource = { masterKeys: MasterKeyRing; masterKeySource: string };

function loadMasterKeys(env: Env, dataDir: string, production: boolean, warn: (line: string) => void): KeySource {
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

export function loadConfig(env: Env = process.env, warn: (line: string) => void = console.warn): Config {
  const production = env.NODE_ENV === "production";
  const dataDir = path.resolve(env.AGENT_VAULT_DATA_DIR || "data");
  const port = Number(env.PORT || 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error("PORT must be a port number");
  const keys = loadMasterKeys(env, dataDir, production, warn);
  const databaseUrl = env.DATABASE_URL || `file:${path.join(dataDir, "vault.db")}`;
  if (databaseUrl.startsWith("file:")) mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return {
    port,
    dataDir,
    databaseUrl,
    ...keys,
    production,
    redisUrl: env.REDIS_URL || undefined,
    introspection: env.AGENT_VAULT_INTROSPECTION ? env.AGENT_VAULT_INTROSPECTION !== "false" : !production,
    trustProxy: env.AGENT_VAULT_TRUST_PROXY === "true",
  };
}

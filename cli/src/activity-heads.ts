// The activity log's heads that `agent-vault activity verify` confirmed, kept outside the vault (as
// transparency logs' clients keep the last tree head they saw): a log rolled back in the database,
// its later events removed and an earlier genuine head put back, passes every MAC but cannot hold
// a head confirmed before. One file in the user's configuration directory, a head per vault and
// user.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export type Head = { sequence: number; digest: string };

/** AGENT_VAULT_CONFIG_DIR, or agent-vault under XDG_CONFIG_HOME (~/.config). */
export function configDir(): string {
  if (process.env.AGENT_VAULT_CONFIG_DIR) return process.env.AGENT_VAULT_CONFIG_DIR;
  const base = process.env.XDG_CONFIG_HOME || path.join(homedir(), ".config");
  return path.join(base, "agent-vault");
}

export const headsFile = () => path.join(configDir(), "activity-heads.json");

function readHeads(): Record<string, Head> {
  try {
    return JSON.parse(readFileSync(headsFile(), "utf8")) as Record<string, Head>;
  } catch {
    return {};
  }
}

const keyOf = (vaultUrl: string, userId: string) => `${vaultUrl} ${userId}`;

export function rememberedHead(vaultUrl: string, userId: string): Head | null {
  return readHeads()[keyOf(vaultUrl, userId)] ?? null;
}

export function rememberHead(vaultUrl: string, userId: string, head: Head): void {
  const heads = readHeads();
  heads[keyOf(vaultUrl, userId)] = head;
  const file = headsFile();
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(heads, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

/** "SEQUENCE:DIGEST", as verify prints it. */
export function parseHead(text: string): Head | null {
  const match = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return match ? { sequence: Number(match[1]), digest: match[2] as string } : null;
}

export const formatHead = (head: Head) => `${head.sequence}:${head.digest}`;

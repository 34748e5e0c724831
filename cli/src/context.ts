// What every client command shares: the vault from the environment, lookups by name, and the
// errors that decide the exit code (0 done, 1 refused by the vault, 2 usage).
import { createVaultClient, type EntryKind, NotFoundError, type VaultClient } from "@agent-vault/sdk";
import { httpFetch } from "./http-fetch.ts";

export const DEFAULT_URL = "http://localhost:4000/graphql";
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called: exit 2 with the message. */
export class UsageError extends Error {}

/** Refused or failed on this side (a sign-in that did not complete): exit 1 with the message. */
export class CommandFailed extends Error {}

/** Ctrl+C at a question: one line saying what was left undone, and the exit code of SIGINT. */
export class Interrupted extends Error {}
export const EXIT_INTERRUPTED = 130;

export type Json = { json?: boolean };

export const vaultUrl = () => process.env.AGENT_VAULT_URL || DEFAULT_URL;

export function vaultFromEnv(): VaultClient {
  const token = process.env.AGENT_VAULT_TOKEN;
  if (!token) throw new UsageError("Set AGENT_VAULT_TOKEN to an API token (agent-vault user create prints one)");
  return createVaultClient({ url: vaultUrl(), token, fetch: httpFetch });
}

/** An entry by name (regardless of case) or by id. */
export async function findEntry(vault: VaultClient, ref: string, kind?: EntryKind) {
  const entry = (await vault.entryByName({ name: ref })) ?? (await vault.entry({ id: ref }).catch(() => null));
  if (!entry || (kind && entry.kind !== kind)) {
    const noun = kind === "VARIABLE" ? "variable" : kind === "SECRET" ? "secret" : "entry";
    throw new NotFoundError(`No ${noun} named ${ref}`);
  }
  return entry;
}

/** An agent by name (regardless of case) or by id. */
export async function findAgent(vault: VaultClient, ref: string) {
  const agent = (await vault.agentByName({ name: ref })) ?? (await vault.agent({ id: ref }).catch(() => null));
  if (!agent) throw new NotFoundError(`No agent named ${ref}`);
  return agent;
}

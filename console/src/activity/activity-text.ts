// An activity event in words: its action, and its details (counts, versions, names; never a value).
import type { ActivityAction } from "@agent-vault/sdk/documents";

const LABELS: Record<ActivityAction, string> = {
  ACTIVITY_ROLLED_BACK: "Log rolled back in the database",
  AGENT_CREATED: "Agent created",
  AGENT_DELETED: "Agent deleted",
  AGENT_RESTARTED: "Agent restarted",
  AGENT_UPDATED: "Agent updated",
  API_TOKEN_CREATED: "API token created",
  API_TOKEN_REVOKED: "API token revoked",
  ENTRIES_IMPORTED: ".env file imported",
  IMPORT_UNDONE: "Import undone",
  ENTRY_ADDED: "Entry added",
  ENTRY_ATTACHED: "Entry attached",
  ENTRY_DELETED: "Entry deleted",
  ENTRY_DETACHED: "Entry detached",
  ENTRY_RESTORED: "Entry restored",
  ENTRY_UPDATED: "Entry updated",
  ENVIRONMENT_FETCHED: "Environment fetched",
  BROKER_REQUESTS: "Brokered requests",
  LIMIT_SET: "Limit set",
  LIMIT_REMOVED: "Limit removed",
  LIMIT_REACHED: "Limit reached",
  SECRET_LEAK_BLOCKED: "Secret in a request: blocked",
  SECRET_LEAK_REDACTED: "Secret in a request: redacted",
  SECRET_LEAK_SEEN: "Secret in a request: seen",
  PROVIDER_CONNECTED: "Provider connected",
  PROVIDER_DISCONNECTED: "Provider disconnected",
  PROVIDER_REFRESHED: "Provider refreshed",
  RUNTIME_TOKEN_CREATED: "Runtime token created",
  RUNTIME_TOKEN_REVOKED: "Runtime token revoked",
  SIGN_IN_FAILED: "Sign-in failed",
};

export const ACTIONS = Object.keys(LABELS) as ActivityAction[];

export const actionLabel = (action: ActivityAction): string => LABELS[action] ?? action;

export type DetailPair = { key: string; value: string; full?: string };

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// An import's id is long and for undoing it: its row has "Undo import" instead.
const HIDDEN = new Set(["importId"]);

/** "tokenName" as "token name", "onConflict" as "on conflict". */
const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();

/**
 * The details' plain fields as pairs to show: {"kind":"SECRET","tokenId":"01a2…"} is "kind SECRET",
 * "token id 01a24d0e…" (an id shortened, whole in `full`).
 */
export function detailPairs(details: string | null | undefined): DetailPair[] {
  if (!details) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(details);
  } catch {
    return [];
  }
  if (!parsed || typeof parsed !== "object") return [];
  return Object.entries(parsed as Record<string, unknown>)
    .filter(([key, value]) => value !== null && typeof value !== "object" && !HIDDEN.has(key))
    .map(([key, value]) => {
      const text = String(value);
      return ID.test(text)
        ? { key: words(key), value: `${text.slice(0, 8)}…`, full: text }
        : { key: words(key), value: text };
    });
}

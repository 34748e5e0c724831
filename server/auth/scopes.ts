// What an API token may do. Every root field of the API requires one scope (or none), checked
// first thing (authorize); a missing scope is a ForbiddenError naming it. SECURITY.md says what
// each one reaches.
import { VaultFailure } from "../modules/common/errors.ts";

export const TOKEN_SCOPES = {
  ENTRIES_READ: "List entries and their metadata; read variables' values; verify a secret's value (rate-limited).",
  ENTRIES_WRITE: "Add and update secrets and variables, and import .env files. Never read values.",
  ENTRIES_DELETE: "Delete entries that no agent uses.",
  AGENTS_READ: "List agents, what they receive and whether they need a restart; follow restart notices.",
  AGENTS_WRITE: "Create, change, restart and delete agents; attach and detach entries.",
  RUNTIME_ISSUE:
    "Create runtime tokens, which read an agent's values: with AGENTS_WRITE, this reads any value by attaching it to an agent.",
  TOKENS_MANAGE: "List, create and revoke API tokens (never with scopes the creating token lacks).",
  PROVIDERS_MANAGE: "Connect, check, refresh and disconnect AI providers (writing and deleting their secrets).",
  ACTIVITY_READ: "Read the activity log.",
  LIMITS_MANAGE: "Set and remove agents' spend and rate limits (reading them and usage needs AGENTS_READ).",
} as const;

export type TokenScope = keyof typeof TOKEN_SCOPES;
export const ALL_SCOPES = Object.keys(TOKEN_SCOPES) as TokenScope[];

const isScope = (text: string): text is TokenScope => Object.hasOwn(TOKEN_SCOPES, text);

/** Scopes as stored: names, comma-separated. Unknown names are dropped. */
export function parseScopes(stored: string): ReadonlySet<TokenScope> {
  return new Set(stored.split(",").filter(isScope));
}

export function formatScopes(scopes: Iterable<TokenScope>): string {
  const given = new Set(scopes);
  return ALL_SCOPES.filter((scope) => given.has(scope)).join(",");
}

/** The token lacks a scope; `scope` names it. */
export class ForbiddenError extends VaultFailure {
  override name = "ForbiddenError";
  constructor(
    readonly scope: TokenScope,
    what = "this",
  ) {
    super(`This token may not do ${what}: it needs the ${scope} scope`);
  }
}

/** What a field's description says of the scope it requires (the authorization walk reads it). */
export const requiresScopeText = (scope: TokenScope) => `Requires the ${scope} scope.`;

/**
 * A scope an input asks for beyond the field's own (addSecret with agentIds also attaches): checked
 * first thing in the resolver. A field's own scope is its authScopes, never this.
 */
export function authorize(viewer: { scopes: ReadonlySet<TokenScope> }, scope: TokenScope, what?: string): void {
  if (!viewer.scopes.has(scope)) throw new ForbiddenError(scope, what);
}

type Failure = { kind: string; scope?: string; failures?: Failure[] };

/** The scope a failed check missed: the first one it names (of several that would each do, the first listed). */
export function scopeOfFailure(failure: Failure): TokenScope {
  if (failure.scope && isScope(failure.scope)) return failure.scope;
  for (const child of failure.failures ?? []) {
    const found = scopeOfFailure(child);
    if (found) return found;
  }
  return undefined as unknown as TokenScope;
}

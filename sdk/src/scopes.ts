// The API token scopes as values (the generated TokenScope is a type only), and their CLI spelling.
import type { TokenScope } from "./generated/graphql.ts";

const SCOPES = {
  ENTRIES_READ: true,
  ENTRIES_WRITE: true,
  ENTRIES_DELETE: true,
  AGENTS_READ: true,
  AGENTS_WRITE: true,
  RUNTIME_ISSUE: true,
  TOKENS_MANAGE: true,
  PROVIDERS_MANAGE: true,
  ACTIVITY_READ: true,
  LIMITS_MANAGE: true,
} satisfies Record<TokenScope, true>;

/** Every scope an API token can have. */
export const TOKEN_SCOPES = Object.keys(SCOPES) as TokenScope[];

/** `entries:read` for ENTRIES_READ. */
export const scopeName = (scope: TokenScope): string => scope.toLowerCase().replace("_", ":");

/** The scope a name like `entries:read` (or ENTRIES_READ) stands for, or null. */
export function parseScopeName(name: string): TokenScope | null {
  const scope = name.trim().toUpperCase().replace(":", "_");
  return Object.hasOwn(SCOPES, scope) ? (scope as TokenScope) : null;
}

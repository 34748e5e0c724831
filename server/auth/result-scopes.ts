// What a result may show, whichever root field reached it: a mutation's result shows nothing that
// its token's scopes would not show through a query. An object's fields need a scope that reads
// that kind of object, except on the object this request's own mutation returned (its own fields:
// what it wrote, and nothing it leads to). Fields that lead further answer what the token can see:
// an empty list, null, or (a value) a ForbiddenError naming the scope.
import type { Context } from "../context.ts";
import type { TokenScope } from "./scopes.ts";

type ScopeMap = { $any: Partial<Record<TokenScope, boolean>> & { $granted?: string } };

/** Entries' metadata: listed by ENTRIES_READ, and as what an agent receives by AGENTS_READ. */
export const ENTRY_READERS: ScopeMap = { $any: { ENTRIES_READ: true, AGENTS_READ: true } };
/** Agents: listed by AGENTS_READ; their names as an entry's users by ENTRIES_READ. */
export const AGENT_READERS: ScopeMap = { $any: { AGENTS_READ: true, ENTRIES_READ: true } };
/** An agent's own state (restart state, policy, runtime tokens): AGENTS_READ. */
export const AGENT_STATE_READERS: ScopeMap = { $any: { AGENTS_READ: true } };

/** Marks an object a mutation of this request returned: its own fields are readable in the result. */
export function written<T extends object>(ctx: Context, object: T): T {
  ctx.written.add(object);
  return object;
}

/** A variable whose value this request supplied: its value is readable in the result. */
export function suppliedValue<T extends object>(ctx: Context, entry: T): T {
  ctx.suppliedValues.add(entry);
  return written(ctx, entry);
}

/**
 * An object named in a result for what it is, not for what it holds (the agents an
 * EntryInUseError names, a new runtime token's agent): its id and name are readable, granted by
 * the field that names it.
 */
export const NAMED = "named";

/** Type-level authScopes: the object this request wrote or named, or a token with one of `readers`. */
export const ownOr =
  (readers: ScopeMap) =>
  (parent: object, ctx: Context): ScopeMap | boolean =>
    ctx.written.has(parent) || { $any: { ...readers.$any, $granted: NAMED } };

/** Field-level authScopes for an object's own state: the object this request wrote, or `readers`. */
export const stateOf =
  (readers: ScopeMap) =>
  (parent: object, _args: unknown, ctx: Context): ScopeMap | boolean =>
    ctx.written.has(parent) || readers;

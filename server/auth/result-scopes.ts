// What a result may show, whichever root field reached it: a mutation's result shows nothing that
// its token's scopes would not show through a query. Every way to an entry or an agent is checked
// where it leads there: a root field's own scope, or the field that links to it (an entry's usedBy,
// an agent's entries, a card's secret) needs a scope that reads what it leads to, and answers what
// the token can see (an empty list, null) without it. An agent's own state needs AGENTS_READ,
// except on the agent this request's mutation wrote; a variable's value needs ENTRIES_READ, except
// on the variable whose value this request supplied (a ForbiddenError naming the scope otherwise).
// Checks sit on those fields only, not on every field of a type: a list of entries pays for none.
import type { Context } from "../context.ts";
import type { TokenScope } from "./scopes.ts";

type ScopeMap = { $any: Partial<Record<TokenScope, boolean>> };

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

/** Field-level authScopes for an object's own state: the object this request wrote, or `readers`. */
export const stateOf =
  (readers: ScopeMap) =>
  (parent: object, _args: unknown, ctx: Context): ScopeMap | boolean =>
    ctx.written.has(parent) || readers;

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
/** A variable's value. */
export const VALUE_READERS: ScopeMap = { $any: { ENTRIES_READ: true } };

/** The scopes of a map, as a field's description names them ("ENTRIES_READ or AGENTS_READ"). */
export const scopeNames = (readers: ScopeMap) => Object.keys(readers.$any).join(" or ");

/**
 * A field-level check that is a function (it depends on the object), carrying the sentence that
 * describes it: schema.ts writes that into the field's description, as it does for a scope map.
 */
export type DescribedCheck = ((parent: object, args: unknown, ctx: Context) => ScopeMap | boolean) & {
  describes: string;
};

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

/** An object's own state: the object this request's mutation wrote, or a token with one of `readers`. */
export function stateOf(readers: ScopeMap, noun: string): DescribedCheck {
  return Object.assign((parent: object, _args: unknown, ctx: Context) => ctx.written.has(parent) || readers, {
    describes: `Requires the ${scopeNames(readers)} scope, except on the ${noun} this request's mutation wrote.`,
  });
}

/** A variable's value: to the request that supplied it, or a token with one of VALUE_READERS. */
export const valueCheck: DescribedCheck = Object.assign(
  (entry: object, _args: unknown, ctx: Context) => ctx.suppliedValues.has(entry) || VALUE_READERS,
  {
    describes: `Requires the ${scopeNames(VALUE_READERS)} scope, except on the variable whose value this request's mutation supplied.`,
  },
);

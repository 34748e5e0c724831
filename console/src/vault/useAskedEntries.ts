// A large vault's list while it is still incomplete: the entries of a kind, a search or an order
// are asked of the vault (it filters and sorts them all), a page at a time as the list is
// scrolled, instead of filtering and sorting only the entries loaded so far. A change made in this
// console asks again for as many as are shown, which stay in view until the answer comes.
import { EntriesDocument, type EntriesQueryVariables } from "@agent-vault/sdk/documents";
import { useCallback, useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import type { EntryRow } from "../app/data.tsx";
import type { KindShown, Sort } from "../entries/EntriesTable.tsx";

const ASKED_PAGE = 100;
/** The most `entries` gives at once: what a refresh asks for at most. */
const MOST_AT_ONCE = 500;

const ORDER_FIELDS = { name: "NAME", kind: "KIND", version: "VERSION", updatedAt: "UPDATED_AT" } as const;

export type Asked = { rows: EntryRow[]; total: number | null; loading: boolean; error: string | null; more(): void };

/**
 * The entries the vault has for this kind, search and sort; null while `active` is false.
 * `changed` counts the changes made in this console: each asks again.
 */
export function useAskedEntries(
  active: boolean,
  shown: { kind: KindShown; search: string; sort: Sort },
  changed: number,
): Asked | null {
  const client = useClient();
  const variables: EntriesQueryVariables = {
    kind: shown.kind === "ALL" ? undefined : shown.kind,
    search: shown.search || undefined,
    orderBy: { field: ORDER_FIELDS[shown.sort.key], direction: shown.sort.descending ? "DESC" : "ASC" },
    first: ASKED_PAGE,
  };
  const key = active ? JSON.stringify(variables) : null;
  const [state, setState] = useState<Omit<Asked, "more"> & { key: string | null; after: string | null }>({
    key: null,
    rows: [],
    total: null,
    loading: false,
    error: null,
    after: null,
  });
  const asking = useRef<string | null>(null);

  const ask = useCallback(
    async (forKey: string, after: string | null, before: EntryRow[], refresh?: { first: number }) => {
      asking.current = `${forKey}|${after}`;
      if (!refresh) setState((old) => ({ ...old, key: forKey, rows: before, loading: true, error: null }));
      const result = await client
        .query(
          EntriesDocument,
          { ...(JSON.parse(forKey) as EntriesQueryVariables), after, ...refresh },
          { requestPolicy: "network-only" },
        )
        .toPromise();
      // A newer question was asked meanwhile: this answer is of no use.
      if (asking.current !== `${forKey}|${after}`) return;
      asking.current = null;
      const page = result.data?.entries;
      if (!page) {
        setState((old) => ({
          ...old,
          loading: false,
          error: result.error?.message.replace(/^\[\w+\] /, "") ?? "No entries",
        }));
        return;
      }
      setState({
        key: forKey,
        rows: [...before, ...page.edges.map((edge) => edge.node)],
        total: page.totalCount,
        loading: false,
        error: null,
        after: page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null,
      });
    },
    [client],
  );

  useEffect(() => {
    if (key !== null) void ask(key, null, []);
    else asking.current = null;
  }, [key, ask]);

  const seen = useRef(changed);
  useEffect(() => {
    if (seen.current === changed) return;
    seen.current = changed;
    if (key === null || state.key !== key) return;
    void ask(key, null, [], { first: Math.min(MOST_AT_ONCE, Math.max(ASKED_PAGE, state.rows.length)) });
  }, [changed, key, state.key, state.rows.length, ask]);

  const more = useCallback(() => {
    if (state.key !== null && state.after !== null && asking.current === null)
      void ask(state.key, state.after, state.rows);
  }, [ask, state.key, state.after, state.rows]);

  if (key === null) return null;
  const current = state.key === key;
  return {
    rows: current ? state.rows : [],
    total: current ? state.total : null,
    loading: !current || state.loading,
    error: current ? state.error : null,
    more,
  };
}

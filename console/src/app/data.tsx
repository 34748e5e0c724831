// What several pages show at once: the entries and every agent, loaded page by page (the first
// page shows at once, the rest follow), reloaded after changes and live notices. A large vault's
// entries are loaded 10,000 at a time: more when a person scrolls to the end of the list, and a
// search asks the vault for the rest.
import {
  type AgentFieldsFragment,
  AgentsDocument,
  EntriesDocument,
  type EntryFieldsFragment,
} from "@agent-vault/sdk/documents";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { type Client, useClient } from "urql";

export type EntryRow = EntryFieldsFragment;
export type AgentRow = AgentFieldsFragment;

type Listing<T> = {
  rows: T[];
  total: number | null;
  loading: boolean;
  error: string | null;
  /** More rows are there to load (`more` loads them): the vault is larger than what was loaded. */
  partial: boolean;
};

type Data = {
  entries: Listing<EntryRow>;
  agents: Listing<AgentRow>;
  reloadEntries(): void;
  /** Loads the next entries of a large vault (after the first 10,000, at the end of the list). */
  moreEntries(): void;
  reloadAgents(): void;
  /** An entry as a mutation returned it: replaces the listed one, or joins the list. */
  putEntry(entry: EntryRow): void;
  dropEntry(id: string): void;
  /** Counts the entries' changes made in this console (put, dropped, reloaded): views of their own ask again. */
  entriesChanged: number;
};

const DataContext = createContext<Data | null>(null);

const PAGE = 100;

type Page<T> = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: T }[];
};

/** Entries loaded at once, and again each time a person reaches the end of the list. */
export const ENTRIES_AT_ONCE = 10_000;

/**
 * Pages after `after`, adding to `rows`, until the last page or `atMost` more rows: the cursor to
 * go on from, or null at the end.
 */
async function loadPages<T>(
  fetchPage: (after: string | undefined) => Promise<Page<T>>,
  start: { rows: T[]; after: string | undefined },
  atMost: number,
  onPage: (rows: T[], total: number, more: boolean) => void,
  cancelled: () => boolean,
): Promise<string | null> {
  let after = start.after;
  const rows = start.rows.slice();
  const stop = rows.length + atMost;
  for (;;) {
    const page = await fetchPage(after);
    if (cancelled()) return null;
    rows.push(...page.edges.map((edge) => edge.node));
    const next = page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null;
    onPage(rows.slice(), page.totalCount, next !== null);
    if (next === null || rows.length >= stop) return next;
    after = next;
  }
}

function useListing<T>(
  client: Client,
  fetchPage: (client: Client, after: string | undefined) => Promise<Page<T>>,
  atMost = Number.POSITIVE_INFINITY,
): [Listing<T>, () => void, (update: (rows: T[]) => T[]) => void, () => void] {
  const [listing, setListing] = useState<Listing<T>>({
    rows: [],
    total: null,
    loading: true,
    error: null,
    partial: false,
  });
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);
  /** Where the next rows start, while there are more to load; null while loading or at the end. */
  const next = useRef<{ rows: T[]; after: string } | null>(null);
  const load = useCallback(
    (run: number, start: { rows: T[]; after: string | undefined }) => {
      next.current = null;
      setListing((old) => ({ ...old, loading: true, error: null }));
      let loaded = start.rows;
      loadPages(
        (after) => fetchPage(client, after),
        start,
        atMost,
        (rows, total, more) => {
          loaded = rows;
          setListing({ rows, total, loading: more, error: null, partial: more });
        },
        () => run !== current.current,
      ).then(
        (after) => {
          if (run !== current.current) return;
          next.current = after === null ? null : { rows: loaded, after };
          setListing((old) => ({ ...old, loading: false, partial: after !== null }));
        },
        (error: Error) =>
          setListing((old) => ({ ...old, loading: false, error: error.message.replace(/^\[\w+\] /, "") })),
      );
    },
    [client, fetchPage, atMost],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger
  useEffect(() => {
    load(++current.current, { rows: [], after: undefined });
  }, [load, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const update = useCallback(
    (change: (rows: T[]) => T[]) => setListing((old) => ({ ...old, rows: change(old.rows) })),
    [],
  );
  const more = useCallback(() => {
    const from = next.current;
    if (from) load(current.current, { rows: listing.rows, after: from.after });
  }, [load, listing.rows]);
  return [listing, reload, update, more];
}

async function entriesPage(client: Client, after: string | undefined): Promise<Page<EntryRow>> {
  const result = await client.query(EntriesDocument, { first: PAGE, after }, { requestPolicy: "network-only" });
  if (result.error || !result.data) throw result.error ?? new Error("No entries");
  return result.data.entries;
}

async function agentsPage(client: Client, after: string | undefined): Promise<Page<AgentRow>> {
  const result = await client.query(AgentsDocument, { first: PAGE, after }, { requestPolicy: "network-only" });
  if (result.error || !result.data) throw result.error ?? new Error("No agents");
  return result.data.agents;
}

export function DataProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const [entries, reloadEntries, updateEntries, moreEntries] = useListing(client, entriesPage, ENTRIES_AT_ONCE);
  const [agents, reloadAgents] = useListing(client, agentsPage);
  const [entriesChanged, setEntriesChanged] = useState(0);
  // Stable, as the listing's own are: effects depend on them.
  const reloadAllEntries = useCallback(() => {
    reloadEntries();
    setEntriesChanged((count) => count + 1);
  }, [reloadEntries]);
  const putEntry = useCallback(
    (entry: EntryRow) => {
      setEntriesChanged((count) => count + 1);
      updateEntries((rows) => {
        const at = rows.findIndex((row) => row.id === entry.id);
        if (at === -1) return [...rows, entry];
        const next = rows.slice();
        next[at] = entry;
        return next;
      });
    },
    [updateEntries],
  );
  const dropEntry = useCallback(
    (id: string) => {
      setEntriesChanged((count) => count + 1);
      updateEntries((rows) => rows.filter((row) => row.id !== id));
    },
    [updateEntries],
  );
  const value = useMemo<Data>(
    () => ({
      entries,
      agents,
      reloadEntries: reloadAllEntries,
      moreEntries,
      reloadAgents,
      putEntry,
      dropEntry,
      entriesChanged,
    }),
    [entries, agents, reloadAllEntries, moreEntries, reloadAgents, putEntry, dropEntry, entriesChanged],
  );
  return <DataContext.Provider value={value}>{children}</DataContext.Provider>;
}

export function useData(): Data {
  const data = useContext(DataContext);
  if (!data) throw new Error("useData outside DataProvider");
  return data;
}

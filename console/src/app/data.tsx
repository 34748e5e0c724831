// What several pages show at once: every entry and every agent, loaded page by page (the first
// page shows at once, the rest follow), reloaded after changes and live notices.
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

type Listing<T> = { rows: T[]; total: number | null; loading: boolean; error: string | null };

type Data = {
  entries: Listing<EntryRow>;
  agents: Listing<AgentRow>;
  reloadEntries(): void;
  reloadAgents(): void;
  /** An entry as a mutation returned it: replaces the listed one, or joins the list. */
  putEntry(entry: EntryRow): void;
  dropEntry(id: string): void;
};

const DataContext = createContext<Data | null>(null);

const PAGE = 100;

type Page<T> = {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  edges: { node: T }[];
};

async function loadPages<T>(
  fetchPage: (after: string | undefined) => Promise<Page<T>>,
  onPage: (rows: T[], total: number) => void,
  cancelled: () => boolean,
): Promise<void> {
  let after: string | undefined;
  const rows: T[] = [];
  for (;;) {
    const page = await fetchPage(after);
    if (cancelled()) return;
    rows.push(...page.edges.map((edge) => edge.node));
    onPage(rows.slice(), page.totalCount);
    if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
    after = page.pageInfo.endCursor;
  }
}

function useListing<T>(
  client: Client,
  fetchPage: (client: Client, after: string | undefined) => Promise<Page<T>>,
): [Listing<T>, () => void, (update: (rows: T[]) => T[]) => void] {
  const [listing, setListing] = useState<Listing<T>>({ rows: [], total: null, loading: true, error: null });
  const [generation, setGeneration] = useState(0);
  const current = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: generation is the reload trigger
  useEffect(() => {
    const run = ++current.current;
    setListing((old) => ({ ...old, loading: true, error: null }));
    loadPages(
      (after) => fetchPage(client, after),
      (rows, total) => setListing({ rows, total, loading: rows.length < total, error: null }),
      () => run !== current.current,
    ).catch((error: Error) =>
      setListing((old) => ({ ...old, loading: false, error: error.message.replace(/^\[\w+\] /, "") })),
    );
  }, [client, fetchPage, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  const update = useCallback(
    (change: (rows: T[]) => T[]) => setListing((old) => ({ ...old, rows: change(old.rows) })),
    [],
  );
  return [listing, reload, update];
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
  const [entries, reloadEntries, updateEntries] = useListing(client, entriesPage);
  const [agents, reloadAgents] = useListing(client, agentsPage);
  const value = useMemo<Data>(
    () => ({
      entries,
      agents,
      reloadEntries,
      reloadAgents,
      putEntry: (entry) =>
        updateEntries((rows) => {
          const at = rows.findIndex((row) => row.id === entry.id);
          if (at === -1) return [...rows, entry];
          const next = rows.slice();
          next[at] = entry;
          return next;
        }),
      dropEntry: (id) => updateEntries((rows) => rows.filter((row) => row.id !== id)),
    }),
    [entries, agents, reloadEntries, reloadAgents, updateEntries],
  );
  return <DataContext.Provider value={value}>{children}</DataContext.Provider>;
}

export function useData(): Data {
  const data = useContext(DataContext);
  if (!data) throw new Error("useData outside DataProvider");
  return data;
}

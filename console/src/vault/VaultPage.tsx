// The home page: "Secrets Vault", with its AI providers and its variables and secrets. While a
// large vault's list is still loading, a search is also asked of the vault, so that it finds
// entries the console has not loaded yet; and a kind or an order other than by name is asked of
// the vault, which sorts them all (useAskedEntries.ts).
import { EntriesDocument } from "@agent-vault/sdk/documents";
import { Suspense, useDeferredValue, useMemo, useState } from "react";
import { useQuery } from "urql";
import { type EntryRow, useData } from "../app/data.tsx";
import { useDialogs } from "../app/dialogs.tsx";
import { later } from "../app/later.ts";
import { useTitle } from "../app/router.tsx";
import { ErrorLine } from "../app/ui.tsx";
import { BY_NAME, EntriesTable, type EntryAction, type KindShown, type Sort } from "../entries/EntriesTable.tsx";
import { ProviderCards } from "../providers/ProviderCards.tsx";
import { useAskedEntries } from "./useAskedEntries.ts";

const RowDialogs = later(() => import("../entries/RowDialogs.tsx").then((m) => m.RowDialogs));
const BulkDeleteDialog = later(() => import("../entries/BulkDeleteDialog.tsx").then((m) => m.BulkDeleteDialog));

export function VaultPage() {
  useTitle("Secrets Vault");
  const { entries, moreEntries, entriesChanged } = useData();
  const { openDialog, entrySearch, setEntrySearch } = useDialogs();
  const [acting, setActing] = useState<{ action: EntryAction; entry: EntryRow } | null>(null);
  const [deleting, setDeleting] = useState<EntryRow[] | null>(null);
  const search = useDeferredValue(entrySearch.trim());
  const [sort, setSort] = useState<Sort>(BY_NAME);
  const [kind, setKind] = useState<KindShown>("ALL");
  const incomplete = entries.loading || entries.partial;
  // Another kind or order than the list's own: the vault sorts all of them, a page at a time.
  const ordered = useAskedEntries(
    incomplete && (kind !== "ALL" || sort.key !== "name" || sort.descending),
    { kind, search, sort },
    entriesChanged,
  );
  const [asked] = useQuery({
    query: EntriesDocument,
    variables: { search, first: 100 },
    pause: !incomplete || !search || ordered !== null,
    requestPolicy: "network-only",
  });
  const rows = useMemo(() => {
    if (ordered) return ordered.rows;
    const found = incomplete && search ? (asked.data?.entries.edges ?? []) : [];
    if (found.length === 0) return entries.rows;
    const loaded = new Set(entries.rows.map((entry) => entry.id));
    return [...entries.rows, ...found.map((edge) => edge.node).filter((entry) => !loaded.has(entry.id))];
  }, [ordered, entries.rows, incomplete, search, asked.data]);
  return (
    <>
      <h1>Secrets Vault</h1>
      <ProviderCards />
      <section aria-labelledby="entries-title">
        <div className="section-head">
          <h2 id="entries-title">Variables and Secrets</h2>
          <div className="actions">
            <button type="button" onClick={() => openDialog({ add: "SECRET" })}>
              Add Secret
            </button>
            <button type="button" onClick={() => openDialog({ add: "VARIABLE" })}>
              Add Variable
            </button>
            <button type="button" className="secondary" onClick={() => openDialog({ import: true })}>
              Import .env file
            </button>
          </div>
        </div>
        <ErrorLine error={ordered?.error ?? entries.error} />
        {ordered ? (
          <p className="muted" role="status">
            {ordered.loading
              ? "Asking the vault for them in this order…"
              : `Showing ${ordered.rows.length} of ${ordered.total ?? 0}, sorted by the vault${ordered.rows.length < (ordered.total ?? 0) ? ": more load at the end of the list." : "."}`}
          </p>
        ) : entries.loading && entries.total !== null ? (
          <p className="muted" role="status">
            Loading {entries.rows.length} of {entries.total}…
            {search ? " A search is also asked of the vault meanwhile." : ""}
          </p>
        ) : entries.partial && entries.total !== null ? (
          <p className="muted" role="status">
            Showing {entries.rows.length} of {entries.total}: more load at the end of the list, and a search asks the
            vault for all of them.
          </p>
        ) : null}
        <EntriesTable
          entries={rows}
          onAction={(action, entry) => setActing({ action, entry })}
          search={entrySearch}
          onSearch={setEntrySearch}
          onDeleteSelected={setDeleting}
          onEndReached={ordered ? ordered.more : entries.partial && !entries.loading ? moreEntries : undefined}
          sort={sort}
          onSort={setSort}
          kind={kind}
          onKind={setKind}
          asked={ordered !== null}
        />
      </section>
      {acting ? (
        <Suspense fallback={null}>
          <RowDialogs acting={acting} onClose={() => setActing(null)} />
        </Suspense>
      ) : null}
      {deleting ? (
        <Suspense fallback={null}>
          <BulkDeleteDialog entries={deleting} onClose={() => setDeleting(null)} />
        </Suspense>
      ) : null}
    </>
  );
}

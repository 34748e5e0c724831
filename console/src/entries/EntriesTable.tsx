// "Variables and Secrets": every entry, searchable by name, filtered by kind, sorted by any
// column, virtualised so that 10,000 rows scroll as smoothly as 50; several can be selected and
// deleted at once.
import { useVirtualizer } from "@tanstack/react-virtual";
import { type ButtonHTMLAttributes, Suspense, useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import type { EntryRow } from "../app/data.tsx";
import { later } from "../app/later.ts";
import { Link } from "../app/router.tsx";
import { When } from "../app/ui.tsx";

const EntryMenu = later(() => import("./EntryMenu.tsx").then((m) => m.EntryMenu));

export type EntryAction = "update" | "verify" | "history" | "delete";

export type SortKey = "name" | "kind" | "version" | "updatedAt";
export type Sort = { key: SortKey; descending: boolean };
export type KindShown = "ALL" | "SECRET" | "VARIABLE";
export const BY_NAME: Sort = { key: "name", descending: false };

const ROW_HEIGHT = 48;

const byName = new Intl.Collator(undefined, { sensitivity: "base" }).compare;

function compare(a: EntryRow, b: EntryRow, key: SortKey): number {
  switch (key) {
    case "kind":
      return a.kind.localeCompare(b.kind) || byName(a.name, b.name);
    case "version":
      return a.version - b.version || byName(a.name, b.name);
    case "updatedAt":
      return a.updatedAt.localeCompare(b.updatedAt) || byName(a.name, b.name);
    default:
      return byName(a.name, b.name);
  }
}

export function EntriesTable(props: {
  entries: EntryRow[];
  onAction: (action: EntryAction, entry: EntryRow) => void;
  search: string;
  onSearch: (search: string) => void;
  onDeleteSelected: (entries: EntryRow[]) => void;
  /** Called when the list is scrolled to its last rows (a large vault loads more then). */
  onEndReached?: () => void;
  /** The sort and kind shown (a large vault's page asks the vault for them while it is loading). */
  sort: Sort;
  onSort: (sort: Sort) => void;
  kind: KindShown;
  onKind: (kind: KindShown) => void;
  /** The entries given are those of the search, kind and sort shown (asked of the vault), not all. */
  asked?: boolean;
}) {
  const { search, onSearch: setSearch, sort, kind, onKind: setKind } = props;
  const query = useDeferredValue(search.trim().toUpperCase());
  const rows = useMemo(() => {
    const shown = props.entries.filter(
      (entry) => (kind === "ALL" || entry.kind === kind) && (!query || entry.name.toUpperCase().includes(query)),
    );
    // Rows the vault sorted keep its order: the next page it sends goes after them.
    if (!props.asked) shown.sort((a, b) => (sort.descending ? -1 : 1) * compare(a, b, sort.key));
    return shown;
  }, [props.entries, props.asked, kind, query, sort]);

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  // What is still there of the selection (a deleted entry leaves it).
  const chosen = useMemo(() => props.entries.filter((entry) => selected.has(entry.id)), [props.entries, selected]);
  const allShown = rows.length > 0 && rows.every((entry) => selected.has(entry.id));
  const select = (ids: string[], on: boolean) =>
    setSelected((old) => {
      const next = new Set(old);
      for (const id of ids) {
        if (on) next.add(id);
        else next.delete(id);
      }
      return next;
    });

  const scroller = useRef<HTMLElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const lastShown = items.at(-1)?.index ?? -1;
  const { onEndReached } = props;
  // Only the whole list's end (or the end of what the vault was asked): a search's or a filter's
  // last row among loaded entries is not where more would show.
  const whole = props.asked || (!query && kind === "ALL");
  useEffect(() => {
    if (onEndReached && whole && rows.length > 0 && lastShown >= rows.length - 1) onEndReached();
  }, [onEndReached, whole, lastShown, rows.length]);
  const before = items[0]?.start ?? 0;
  const after = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);

  const header = (key: SortKey, label: string) => (
    <th
      scope="col"
      aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}
      className="sortable"
    >
      <button
        type="button"
        className="link"
        onClick={() => props.onSort({ key, descending: sort.key === key ? !sort.descending : false })}
      >
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.descending ? " ↓" : " ↑") : ""}</span>
      </button>
    </th>
  );

  return (
    <>
      <div className="toolbar">
        <label className="inline">
          <span className="visually-hidden">Search entries</span>
          <input
            type="search"
            placeholder="Search by name"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            autoComplete="off"
          />
        </label>
        <label className="inline">
          <span>Kind</span>
          <select value={kind} onChange={(event) => setKind(event.target.value as typeof kind)}>
            <option value="ALL">All</option>
            <option value="SECRET">Secrets</option>
            <option value="VARIABLE">Variables</option>
          </select>
        </label>
        <span className="muted" aria-live="polite">
          {rows.length === props.entries.length
            ? `${rows.length} ${rows.length === 1 ? "entry" : "entries"}`
            : `${rows.length} of ${props.entries.length} entries`}
          {chosen.length ? `, ${chosen.length} selected` : ""}
        </span>
        {chosen.length ? (
          <>
            <button type="button" className="danger" onClick={() => props.onDeleteSelected(chosen)}>
              Delete selected
            </button>
            <button type="button" className="secondary" onClick={() => setSelected(new Set())}>
              Clear selection
            </button>
          </>
        ) : null}
      </div>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: the scrolling region takes focus to scroll by keyboard */}
      <section className="table-scroll" ref={scroller} tabIndex={0} aria-label="Entries">
        <table className="entries" aria-rowcount={rows.length + 1}>
          <thead>
            <tr>
              <th scope="col" className="select">
                <input
                  type="checkbox"
                  aria-label="Select all shown"
                  checked={allShown}
                  disabled={rows.length === 0}
                  onChange={(event) =>
                    select(
                      rows.map((entry) => entry.id),
                      event.target.checked,
                    )
                  }
                />
              </th>
              {header("name", "Name")}
              {header("kind", "Kind")}
              <th scope="col">Used by</th>
              {header("version", "Version")}
              <th scope="col">Fingerprint or value</th>
              {header("updatedAt", "Updated")}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {before > 0 ? (
              <tr className="spacer" style={{ height: before }}>
                <td colSpan={8} />
              </tr>
            ) : null}
            {items.map((item) => {
              const entry = rows[item.index] as EntryRow;
              return (
                <tr key={entry.id} aria-rowindex={item.index + 2} style={{ height: ROW_HEIGHT }}>
                  <td className="select">
                    <input
                      type="checkbox"
                      aria-label={`Select ${entry.name}`}
                      checked={selected.has(entry.id)}
                      onChange={(event) => select([entry.id], event.target.checked)}
                    />
                  </td>
                  <th scope="row" className="name">
                    <code>{entry.name}</code>
                    {entry.delivery === "BROKERED" ? (
                      <>
                        {" "}
                        <span
                          className="badge brokered"
                          title={`Sent only to ${entry.upstream?.baseUrl ?? "its upstream"}`}
                        >
                          Brokered
                        </span>
                      </>
                    ) : null}
                  </th>
                  <td>
                    <span className={`kind ${entry.kind.toLowerCase()}`}>
                      {entry.kind === "SECRET" ? "Secret" : "Variable"}
                    </span>
                  </td>
                  <td className="agents">
                    {entry.usedBy.length === 0 ? <span className="muted">none</span> : null}
                    {entry.usedBy.map((agent, at) => (
                      <span key={agent.id}>
                        {at > 0 ? ", " : null}
                        <Link to={`/agents/${agent.id}`}>{agent.name}</Link>
                      </span>
                    ))}
                  </td>
                  <td>v{entry.version}</td>
                  <td className="value">
                    {entry.__typename === "Variable" ? (
                      <code>{entry.value}</code>
                    ) : (
                      <code className="muted">{entry.fingerprint}</code>
                    )}
                  </td>
                  <td>
                    <When at={entry.updatedAt} />
                  </td>
                  <td>
                    <RowMenu entry={entry} onAction={props.onAction} />
                  </td>
                </tr>
              );
            })}
            {after > 0 ? (
              <tr className="spacer" style={{ height: after }}>
                <td colSpan={8} />
              </tr>
            ) : null}
          </tbody>
        </table>
        {rows.length === 0 ? (
          <p className="empty">{props.entries.length === 0 ? "No variables or secrets yet." : "Nothing matches."}</p>
        ) : null}
      </section>
    </>
  );
}

/**
 * The row's "…" button; the menu's code (Radix) loads with the first one opened, so that the page
 * itself loads without it.
 */
function RowMenu({ entry, onAction }: { entry: EntryRow; onAction: (action: EntryAction, entry: EntryRow) => void }) {
  const [wanted, setWanted] = useState(false);
  if (wanted) {
    return (
      <Suspense fallback={<MenuButton entry={entry} />}>
        <EntryMenu entry={entry} onAction={onAction} onClosed={() => setWanted(false)} />
      </Suspense>
    );
  }
  return (
    <MenuButton
      entry={entry}
      onPointerDown={(event) => {
        if (event.button === 0 && !event.ctrlKey) {
          event.preventDefault();
          setWanted(true);
        }
      }}
      onKeyDown={(event) => {
        if (event.key === "Enter" || event.key === " " || event.key === "ArrowDown") {
          event.preventDefault();
          setWanted(true);
        }
      }}
    />
  );
}

function MenuButton({ entry, ...handlers }: { entry: EntryRow } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button type="button" className="icon" aria-label={`Actions for ${entry.name}`} aria-haspopup="menu" {...handlers}>
      …
    </button>
  );
}

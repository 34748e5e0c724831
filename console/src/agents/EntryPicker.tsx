// Choosing entries from the vault, by name, with a filter for long lists. While the console is
// still loading a large vault's list, the vault itself is asked for the names that match.
import { EntriesDocument } from "@agent-vault/sdk/documents";
import { useDeferredValue, useMemo, useState } from "react";
import { useQuery } from "urql";
import { useData } from "../app/data.tsx";

const SHOWN = 200;

export function EntryPicker(props: {
  legend: string;
  chosen: string[];
  onChange: (ids: string[]) => void;
  exclude?: ReadonlySet<string>;
}) {
  const { entries } = useData();
  const [filter, setFilter] = useState("");
  const search = useDeferredValue(filter.trim());
  const loaded = !entries.loading && !entries.partial && !entries.error;
  const [asked] = useQuery({
    query: EntriesDocument,
    variables: { search: search || null, first: 100 },
    pause: loaded,
    requestPolicy: "cache-and-network",
  });
  const shown = useMemo(() => {
    const query = search.toUpperCase();
    const rows = loaded
      ? entries.rows.filter((entry) => !query || entry.name.toUpperCase().includes(query))
      : (asked.data?.entries.edges.map((edge) => edge.node) ?? []);
    return rows.filter((entry) => !props.exclude?.has(entry.id)).slice(0, SHOWN);
  }, [loaded, entries.rows, asked.data, search, props.exclude]);
  const waiting = !loaded && !asked.data && !asked.error;
  return (
    <fieldset className="choices picker">
      <legend>{props.legend}</legend>
      <label className="inline">
        <span className="visually-hidden">Filter entries</span>
        <input
          type="search"
          placeholder="Filter by name"
          value={filter}
          onChange={(event) => setFilter(event.target.value)}
          autoComplete="off"
        />
      </label>
      {waiting ? (
        <p className="muted" role="status">
          Loading entries…
        </p>
      ) : shown.length === 0 ? (
        <p className="muted">{search ? `No entry's name holds ${search}.` : "No entries to choose."}</p>
      ) : null}
      <div className="picker-list">
        {shown.map((entry) => (
          <label key={entry.id} className="choice">
            <input
              type="checkbox"
              checked={props.chosen.includes(entry.id)}
              onChange={(event) =>
                props.onChange(
                  event.target.checked ? [...props.chosen, entry.id] : props.chosen.filter((id) => id !== entry.id),
                )
              }
            />
            <code>{entry.name}</code> <span className="muted">{entry.kind === "SECRET" ? "secret" : "variable"}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

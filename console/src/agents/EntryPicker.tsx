// Choosing entries from the vault, by name, with a filter for long lists.
import { useMemo, useState } from "react";
import { useData } from "../app/data.tsx";

export function EntryPicker(props: {
  legend: string;
  chosen: string[];
  onChange: (ids: string[]) => void;
  exclude?: ReadonlySet<string>;
}) {
  const { entries } = useData();
  const [filter, setFilter] = useState("");
  const shown = useMemo(() => {
    const query = filter.trim().toUpperCase();
    return entries.rows
      .filter((entry) => !props.exclude?.has(entry.id) && (!query || entry.name.toUpperCase().includes(query)))
      .slice(0, 200);
  }, [entries.rows, filter, props.exclude]);
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
      {shown.length === 0 ? <p className="muted">No entries to choose.</p> : null}
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

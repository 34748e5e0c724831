// "Delete selected": several entries at once. Each is deleted on its own; one that an agent uses is
// kept and named with its agents (detach it there first), and the others are deleted all the same.
import { DeleteEntryDocument } from "@agent-vault/sdk/documents";
import { useState } from "react";
import { useMutation } from "urql";
import { type EntryRow, useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { outcomeOf } from "../app/ui.tsx";

type Kept = { name: string; why: string };

export function BulkDeleteDialog(props: { entries: EntryRow[]; onClose: () => void }) {
  const { entries } = props;
  const count = entries.length;
  return (
    <Modal
      open
      onOpenChange={(open) => open || props.onClose()}
      title={`Delete ${count} ${count === 1 ? "entry" : "entries"}?`}
      description="Their values and every kept version are deleted. This cannot be undone. An entry an agent uses is not deleted."
    >
      <BulkDeleteForm entries={entries} onClose={props.onClose} />
    </Modal>
  );
}

function BulkDeleteForm(props: { entries: EntryRow[]; onClose: () => void }) {
  const { dropEntry } = useData();
  const [, remove] = useMutation(DeleteEntryDocument);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<{ deleted: string[]; kept: Kept[] } | null>(null);

  async function confirm() {
    setRunning(true);
    const deleted: string[] = [];
    const kept: Kept[] = [];
    for (const entry of props.entries) {
      const answer = await remove({ input: { id: entry.id } });
      const payload = answer.data?.deleteEntry;
      if (payload?.__typename === "EntryInUseError") {
        kept.push({ name: entry.name, why: `used by ${payload.agents.map((agent) => agent.name).join(", ")}` });
        continue;
      }
      const outcome = outcomeOf(answer, "deleteEntry");
      if (!outcome.ok) {
        kept.push({ name: entry.name, why: outcome.error });
        continue;
      }
      dropEntry(entry.id);
      deleted.push(entry.id);
    }
    setResult({ deleted, kept });
    setRunning(false);
  }

  if (result) {
    return (
      <div>
        <p role="status" className={result.kept.length ? undefined : "ok"}>
          Deleted {result.deleted.length}
          {result.kept.length ? `; not deleted ${result.kept.length}` : ""}.
        </p>
        {result.kept.length ? (
          <div className="error" role="alert">
            <p>Not deleted:</p>
            <ul>
              {result.kept.map((kept) => (
                <li key={kept.name}>
                  <code>{kept.name}</code>: {kept.why}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        <div className="actions">
          <button type="button" onClick={props.onClose}>
            Done
          </button>
        </div>
      </div>
    );
  }
  return (
    <div>
      <ul className="bulk-names">
        {props.entries.map((entry) => (
          <li key={entry.id}>
            <code>{entry.name}</code>
            {entry.usedBy.length ? <span className="muted"> (used by {entry.usedBy.length})</span> : null}
          </li>
        ))}
      </ul>
      <div className="actions">
        <button type="button" className="secondary" onClick={props.onClose} disabled={running}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={confirm} disabled={running}>
          {running ? "Deleting…" : "Delete"}
        </button>
      </div>
    </div>
  );
}

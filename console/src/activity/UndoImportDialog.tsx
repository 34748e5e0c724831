// "Undo import", from an import's activity event: what the undo will do (a dry run, so exactly
// that), then the undo itself, all or nothing, with what it left as it was and why.
import { UndoImportDocument, type UndoImportMutation } from "@agent-vault/sdk/documents";
import { useEffect, useState } from "react";
import { useMutation } from "urql";
import { useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { outcomeOf } from "../app/ui.tsx";

type Undo = Extract<UndoImportMutation["undoImport"], { __typename: "MutationUndoImportSuccess" }>["data"];

export function UndoImportDialog(props: { importId: string; onClose: () => void }) {
  return (
    <Modal
      open
      wide
      onOpenChange={(open) => open || props.onClose()}
      title="Undo this import?"
      description={
        <>
          Entries it created are deleted, unless an agent uses them; entries it updated get their value from before it
          back, as a new version. An entry changed since the import is left as it is. Import{" "}
          <code>{props.importId}</code>.
        </>
      }
    >
      <UndoImportForm importId={props.importId} onClose={props.onClose} />
    </Modal>
  );
}

function UndoImportForm(props: { importId: string; onClose: () => void }) {
  const { reloadEntries, reloadAgents } = useData();
  const [, undo] = useMutation(UndoImportDocument);
  const [plan, setPlan] = useState<Undo | null>(null);
  const [done, setDone] = useState<Undo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const { importId } = props;

  useEffect(() => {
    let cancelled = false;
    undo({ input: { id: importId, dryRun: true } }).then((answer) => {
      if (cancelled) return;
      const outcome = outcomeOf<Undo>(answer, "undoImport");
      if (outcome.ok) setPlan(outcome.data);
      else setError(outcome.error);
    });
    return () => {
      cancelled = true;
    };
  }, [importId, undo]);

  async function confirm() {
    setRunning(true);
    const outcome = outcomeOf<Undo>(await undo({ input: { id: importId } }), "undoImport");
    setRunning(false);
    if (!outcome.ok) return setError(outcome.error);
    setDone(outcome.data);
    reloadEntries();
    reloadAgents();
  }

  const shown = done ?? plan;
  const nothing = shown ? shown.deleted.length + shown.restored.length === 0 : false;
  return (
    <div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {!shown && !error ? <p className="muted">Working out what the undo would do…</p> : null}
      {shown ? <UndoLists undo={shown} done={Boolean(done)} /> : null}
      {done ? (
        <p role="status" className={done.complete ? "ok" : undefined}>
          Undone: {done.deleted.length} deleted, {done.restored.length} restored
          {done.notUndone.length ? `; ${done.notUndone.length} left as they are` : ""}.
          {done.complete ? "" : " Detach what is in use, then undo again to finish."}
        </p>
      ) : null}
      {plan && !done && nothing ? (
        <p role="status">{plan.complete ? "Nothing is left to undo." : "Nothing can be undone now."}</p>
      ) : null}
      <div className="actions">
        {done || error || nothing ? (
          <button type="button" onClick={props.onClose}>
            Done
          </button>
        ) : (
          <>
            <button type="button" className="secondary" onClick={props.onClose} disabled={running}>
              Cancel
            </button>
            <button type="button" className="danger" onClick={confirm} disabled={running || !plan}>
              {running ? "Undoing…" : "Undo import"}
            </button>
          </>
        )}
      </div>
    </div>
  );
}

function UndoLists({ undo, done }: { undo: Undo; done: boolean }) {
  return (
    <>
      {undo.deleted.length ? (
        <NameList title={done ? "Deleted" : "To delete"} names={undo.deleted.map((name) => ({ name }))} />
      ) : null}
      {undo.restored.length ? (
        <NameList
          title={done ? "Restored" : "To restore (the value from before the import)"}
          names={undo.restored.map((name) => ({ name }))}
        />
      ) : null}
      {undo.notUndone.length ? <NameList title="Left as they are" names={undo.notUndone} /> : null}
    </>
  );
}

function NameList(props: { title: string; names: { name: string; reason?: string }[] }) {
  return (
    <section aria-label={props.title}>
      <h3>{props.title}</h3>
      <ul className="bulk-names">
        {props.names.map(({ name, reason }) => (
          <li key={name}>
            <code>{name}</code>
            {reason ? <span className="muted">: {reason}</span> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}

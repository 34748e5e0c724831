// "Import .env file": pasted text or a dropped file, a dry-run plan first (created, updated,
// unchanged, skipped, and line-numbered errors), then the import, and what it did.
import { type EntryKind, type ImportConflictPolicy, ImportEnvDocument } from "@agent-vault/sdk/documents";
import { type DragEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { ErrorLine } from "../app/ui.tsx";

type Report = { created: string[]; updated: string[]; unchanged: string[]; skipped: string[]; conflicts: string[] };
type Problem = { message: string; lines: { line: number; message: string }[] };

export function ImportDialog(props: { open: boolean; onClose: () => void }) {
  return (
    <Modal open={props.open} onOpenChange={(open) => open || props.onClose()} title="Import .env file" wide>
      {props.open ? <ImportForm onClose={props.onClose} /> : null}
    </Modal>
  );
}

function ImportForm({ onClose }: { onClose: () => void }) {
  const { reloadEntries, reloadAgents } = useData();
  const [content, setContent] = useState("");
  const [kind, setKind] = useState<EntryKind>("SECRET");
  const [onConflict, setOnConflict] = useState<ImportConflictPolicy>("FAIL");
  const [skipEmpty, setSkipEmpty] = useState(false);
  const [plan, setPlan] = useState<Report | null>(null);
  const [done, setDone] = useState<Report | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, importEnv] = useMutation(ImportEnvDocument);
  const ids = useId();

  const changed = () => {
    setPlan(null);
    setProblem(null);
  };

  async function run(dryRun: boolean) {
    const result = await importEnv({ input: { content, dryRun, kind, onConflict, skipEmpty } });
    const payload = result.data?.importEnv;
    if (result.error || !payload) {
      setProblem({ message: result.error?.message ?? "No answer from the vault", lines: [] });
      return;
    }
    if (payload.__typename === "MutationImportEnvSuccess") {
      setProblem(null);
      if (dryRun) {
        setPlan(payload.data);
        return;
      }
      setContent("");
      setPlan(null);
      setDone(payload.data);
      reloadEntries();
      reloadAgents();
      return;
    }
    setProblem({
      message: payload.message,
      lines: payload.__typename === "EnvParseError" ? payload.lines : [],
    });
  }

  async function readFile(file: File | undefined) {
    if (!file) return;
    setContent(await file.text());
    changed();
  }

  if (done) {
    return (
      <div>
        <p role="status" className="ok">
          Imported: {done.created.length} created, {done.updated.length} updated, {done.unchanged.length} unchanged,{" "}
          {done.skipped.length} skipped.
        </p>
        <PlanLists report={done} />
        <div className="actions">
          <button type="button" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    );
  }

  return (
    <form
      autoComplete="off"
      onSubmit={(event) => {
        event.preventDefault();
        void run(!plan);
      }}
    >
      {/* biome-ignore lint/a11y/noStaticElementInteractions: dropping a file is a shortcut; the file field below does the same by keyboard */}
      <div
        className="drop"
        onDragOver={(event) => event.preventDefault()}
        onDrop={(event: DragEvent) => {
          event.preventDefault();
          void readFile(event.dataTransfer.files[0]);
        }}
      >
        <label htmlFor={`${ids}-content`}>Contents of the .env file</label>
        <textarea
          id={`${ids}-content`}
          rows={8}
          value={content}
          spellCheck={false}
          autoComplete="off"
          placeholder={"OPENAI_API_KEY=sk-...\nLOG_LEVEL=info"}
          onChange={(event) => {
            setContent(event.target.value);
            changed();
          }}
        />
        <label className="file">
          Or choose a file (or drop it above)
          <input type="file" accept=".env,text/plain" onChange={(event) => readFile(event.target.files?.[0])} />
        </label>
      </div>
      <fieldset className="choices inline">
        <legend>Import as</legend>
        {(["SECRET", "VARIABLE"] as const).map((value) => (
          <label key={value} className="choice">
            <input
              type="radio"
              name={`${ids}-kind`}
              checked={kind === value}
              onChange={() => {
                setKind(value);
                changed();
              }}
            />
            {value === "SECRET" ? "Secrets" : "Variables"}
          </label>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor={`${ids}-conflict`}>When a name already exists</label>
        <select
          id={`${ids}-conflict`}
          value={onConflict}
          onChange={(event) => {
            setOnConflict(event.target.value as ImportConflictPolicy);
            changed();
          }}
        >
          <option value="FAIL">Stop: import nothing</option>
          <option value="SKIP">Skip it: keep the stored value</option>
          <option value="OVERWRITE">Overwrite it: a new version</option>
        </select>
      </div>
      <label className="choice">
        <input
          type="checkbox"
          checked={skipEmpty}
          onChange={(event) => {
            setSkipEmpty(event.target.checked);
            changed();
          }}
        />
        Skip lines with an empty value
      </label>
      {problem ? (
        <div className="error" role="alert">
          <p>{problem.message}</p>
          {problem.lines.length ? (
            <ul>
              {problem.lines.map((line) => (
                <li key={`${line.line}:${line.message}`}>
                  Line {line.line}: {line.message}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {plan ? (
        <section aria-label="Plan" className="plan">
          <h3>Plan</h3>
          <p className="muted">Nothing is written until you import.</p>
          <PlanLists report={plan} />
          {plan.conflicts.length ? (
            <ErrorLine error={`These names exist and stop the import: ${plan.conflicts.join(", ")}`} />
          ) : null}
        </section>
      ) : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
        {plan ? (
          <button type="submit" disabled={fetching || plan.conflicts.length > 0}>
            Import
          </button>
        ) : (
          <button type="submit" disabled={fetching || !content.trim()}>
            Preview
          </button>
        )}
      </div>
    </form>
  );
}

function PlanLists({ report }: { report: Report }) {
  const groups: [string, string[]][] = [
    ["Created", report.created],
    ["Updated", report.updated],
    ["Unchanged", report.unchanged],
    ["Skipped", report.skipped],
  ];
  return (
    <dl className="plan-lists">
      {groups.map(([label, names]) => (
        <div key={label}>
          <dt>
            {label} ({names.length})
          </dt>
          <dd>{names.length ? names.join(", ") : <span className="muted">none</span>}</dd>
        </div>
      ))}
    </dl>
  );
}

// "Import .env file": pasted text or a dropped file, a dry-run plan first (created, updated,
// unchanged, skipped, and line-numbered errors; each name's kind can be changed there), then the
// import, and what it did.
import { type EntryKind, type ImportConflictPolicy, ImportEnvDocument } from "@agent-vault/sdk/documents";
import { type DragEvent, useId, useState } from "react";
import { useMutation } from "urql";
import { useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { ErrorLine } from "../app/ui.tsx";

type Report = { created: string[]; updated: string[]; unchanged: string[]; skipped: string[]; conflicts: string[] };
type Problem = { message: string; lines: { line: number; message: string }[] };
type Kinds = Record<string, EntryKind>;
/** Beyond this many names, the plan offers no kind per line (a select per line would not help). */
const MAX_LINE_KINDS = 1000;

const namesOf = (report: Report) => [
  ...report.created,
  ...report.updated,
  ...report.unchanged,
  ...report.conflicts,
  ...report.skipped,
];

/** The import's kind and the names imported as variables, from the dialog's choice and each line's. */
function kindsInput(names: string[], kind: EntryKind, kinds: Kinds): { kind: EntryKind; variables?: string[] } {
  const variables = names.filter((name) => (kinds[name] ?? kind) === "VARIABLE");
  if (variables.length === 0) return { kind: "SECRET" };
  if (variables.length === names.length) return { kind: "VARIABLE" };
  return { kind: "SECRET", variables };
}

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
  // Lines whose kind was changed in the plan, by name (the rest take "Import as").
  const [kinds, setKinds] = useState<Kinds>({});
  const [plan, setPlan] = useState<Report | null>(null);
  const [done, setDone] = useState<Report | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [{ fetching }, importEnv] = useMutation(ImportEnvDocument);
  const ids = useId();

  const changed = () => {
    setPlan(null);
    setProblem(null);
  };

  async function run(dryRun: boolean, lineKinds: Kinds = kinds) {
    const names = plan ? namesOf(plan) : [];
    const chosen = names.length > 0 ? kindsInput(names, kind, lineKinds) : { kind };
    const result = await importEnv({ input: { content, dryRun, onConflict, skipEmpty, ...chosen } });
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
    setKinds({});
    changed();
  }

  function setLineKind(name: string, lineKind: EntryKind) {
    const next = { ...kinds, [name]: lineKind };
    setKinds(next);
    void run(true, next);
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
            setKinds({});
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
                setKinds({});
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
          <LineKinds
            names={namesOf(plan)}
            kindOf={(name) => kinds[name] ?? kind}
            onChange={setLineKind}
            disabled={fetching}
          />
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

/** Each name of the file with its kind, to change one by one before importing. */
function LineKinds(props: {
  names: string[];
  kindOf: (name: string) => EntryKind;
  onChange: (name: string, kind: EntryKind) => void;
  disabled: boolean;
}) {
  if (props.names.length === 0) return null;
  if (props.names.length > MAX_LINE_KINDS) {
    return (
      <p className="muted">
        Over {MAX_LINE_KINDS} entries: their kinds are set all at once, with Import as (or the CLI's --variables
        NAME,NAME).
      </p>
    );
  }
  return (
    <details className="line-kinds">
      <summary>Kind of each entry</summary>
      <ul>
        {props.names.map((name) => (
          <li key={name}>
            <code>{name}</code>
            <select
              aria-label={`Kind of ${name}`}
              value={props.kindOf(name)}
              disabled={props.disabled}
              onChange={(event) => props.onChange(name, event.target.value as EntryKind)}
            >
              <option value="SECRET">Secret</option>
              <option value="VARIABLE">Variable</option>
            </select>
          </li>
        ))}
      </ul>
    </details>
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

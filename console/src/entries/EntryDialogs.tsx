// The dialogs of an entry: add, update the value, verify a secret's value, delete. Value fields
// are never autofilled, masked for secrets, and emptied once saved.
import {
  AddSecretDocument,
  AddVariableDocument,
  DeleteEntryDocument,
  DetachEntriesDocument,
  type EntryKind,
  UpdateSecretDocument,
  UpdateVariableDocument,
  VerifySecretDocument,
} from "@agent-vault/sdk/documents";
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { type EntryRow, useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { Link } from "../app/router.tsx";
import { ErrorLine, Field, nameProblem, outcomeOf, ValueField } from "../app/ui.tsx";

const KIND_NAMES: Record<EntryKind, string> = { SECRET: "Secret", VARIABLE: "Variable" };

/** "Authorization: Bearer {value}" as the upstream's header and template. */
function headerParts(text: string): { header: string; template?: string } {
  const colon = text.indexOf(":");
  if (colon === -1) return { header: text.trim() };
  return { header: text.slice(0, colon).trim(), template: text.slice(colon + 1).trim() || undefined };
}

const SECRET_WARNING = "A secret's value cannot be viewed after saving: only its fingerprint is shown.";

export function AddEntryDialog(props: { kind: EntryKind | null; onClose: () => void }) {
  const { kind } = props;
  return (
    <Modal
      open={kind !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={kind ? `Add ${KIND_NAMES[kind]}` : ""}
    >
      {kind ? <AddEntryForm kind={kind} onClose={props.onClose} /> : null}
    </Modal>
  );
}

function AddEntryForm({ kind, onClose }: { kind: EntryKind; onClose: () => void }) {
  const { agents, putEntry, reloadAgents } = useData();
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [agentIds, setAgentIds] = useState<string[]>([]);
  const [brokered, setBrokered] = useState(false);
  const [upstreamUrl, setUpstreamUrl] = useState("");
  const [header, setHeader] = useState("Authorization: Bearer {value}");
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: addingSecret }, addSecret] = useMutation(AddSecretDocument);
  const [{ fetching: addingVariable }, addVariable] = useMutation(AddVariableDocument);
  const problem = nameProblem(name);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { name, value, agentIds: agentIds.length ? agentIds : undefined };
    const outcome =
      kind === "SECRET"
        ? outcomeOf<EntryRow>(
            await addSecret({
              input: brokered
                ? { ...input, delivery: "BROKERED", upstream: { baseUrl: upstreamUrl, ...headerParts(header) } }
                : input,
            }),
            "addSecret",
          )
        : outcomeOf<EntryRow>(await addVariable({ input }), "addVariable");
    // A refused entry keeps what was typed, so that only the name (or the value) needs mending.
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    setValue("");
    putEntry(outcome.data);
    if (agentIds.length) reloadAgents();
    onClose();
  }
  return (
    <form onSubmit={submit} autoComplete="off">
      <Field
        label="Name"
        value={name}
        onChange={(event) => setName(event.target.value)}
        required
        autoComplete="off"
        spellCheck={false}
        error={problem}
        hint="The environment variable's name, such as OPENAI_API_KEY."
      />
      <ValueField
        label="Value"
        masked={kind === "SECRET"}
        value={value}
        onChange={setValue}
        required={kind === "SECRET"}
        hint={kind === "SECRET" ? SECRET_WARNING : undefined}
      />
      {kind === "SECRET" ? (
        <fieldset className="choices">
          <legend>Delivery</legend>
          <label className="choice">
            <input type="radio" name="delivery" checked={!brokered} onChange={() => setBrokered(false)} />
            Environment variable
          </label>
          <label className="choice">
            <input type="radio" name="delivery" checked={brokered} onChange={() => setBrokered(true)} />
            Brokered
          </label>
          <p className="hint">
            {brokered
              ? "Agents get a placeholder; the vault puts the value into their requests to the upstream, and nowhere else."
              : "Agents get the value as an environment variable."}
          </p>
        </fieldset>
      ) : null}
      {kind === "SECRET" && brokered ? (
        <>
          <Field
            label="Upstream URL"
            type="url"
            value={upstreamUrl}
            onChange={(event) => setUpstreamUrl(event.target.value)}
            required
            spellCheck={false}
            placeholder="https://api.example.com/v1"
            hint="The only place the value goes: requests below this address."
          />
          <Field
            label="Header"
            value={header}
            onChange={(event) => setHeader(event.target.value)}
            required
            spellCheck={false}
            hint="The header that carries the value, and how: {value} stands for it."
          />
        </>
      ) : null}
      {agents.rows.length ? (
        <fieldset className="choices">
          <legend>Attach to agents (optional)</legend>
          {agents.rows.map((agent) => (
            <label key={agent.id} className="choice">
              <input
                type="checkbox"
                checked={agentIds.includes(agent.id)}
                onChange={(event) =>
                  setAgentIds((ids) =>
                    event.target.checked ? [...ids, agent.id] : ids.filter((id) => id !== agent.id),
                  )
                }
              />
              {agent.name}
            </label>
          ))}
        </fieldset>
      ) : null}
      <ErrorLine error={error} />
      <div className="actions">
        <button type="submit" disabled={!!problem || !name || addingSecret || addingVariable}>
          Save
        </button>
      </div>
    </form>
  );
}

export function UpdateValueDialog(props: { entry: EntryRow | null; onClose: () => void }) {
  const { entry } = props;
  return (
    <Modal
      open={entry !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={entry ? `Update ${entry.name}` : ""}
      description={
        entry?.delivery === "BROKERED"
          ? `${SECRET_WARNING} Brokered: agents use the new value from their next request; no restart is needed.`
          : entry?.kind === "SECRET"
            ? SECRET_WARNING
            : undefined
      }
    >
      {entry ? <UpdateValueForm entry={entry} onClose={props.onClose} /> : null}
    </Modal>
  );
}

function UpdateValueForm({ entry, onClose }: { entry: EntryRow; onClose: () => void }) {
  const { putEntry } = useData();
  const [value, setValue] = useState(entry.__typename === "Variable" ? (entry.value ?? "") : "");
  const [error, setError] = useState<string | null>(null);
  const [{ fetching: a }, updateSecret] = useMutation(UpdateSecretDocument);
  const [{ fetching: b }, updateVariable] = useMutation(UpdateVariableDocument);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const input = { id: entry.id, value, expectedVersion: entry.version };
    const outcome =
      entry.kind === "SECRET"
        ? outcomeOf<EntryRow>(await updateSecret({ input }), "updateSecret")
        : outcomeOf<EntryRow>(await updateVariable({ input }), "updateVariable");
    setValue("");
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    putEntry(outcome.data);
    onClose();
  }
  return (
    <form onSubmit={submit} autoComplete="off">
      <ValueField
        label="Value"
        masked={entry.kind === "SECRET"}
        value={value}
        onChange={setValue}
        required={entry.kind === "SECRET"}
      />
      <ErrorLine error={error} />
      <div className="actions">
        <button type="submit" disabled={a || b}>
          Save
        </button>
      </div>
    </form>
  );
}

export function VerifyDialog(props: { entry: EntryRow | null; onClose: () => void }) {
  const { entry } = props;
  return (
    <Modal
      open={entry !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={entry ? `Verify ${entry.name}` : ""}
      description="Checks whether a value is the one stored, without showing the stored one."
    >
      {entry ? <VerifyForm entry={entry} /> : null}
    </Modal>
  );
}

function VerifyForm({ entry }: { entry: EntryRow }) {
  const [value, setValue] = useState("");
  const [answer, setAnswer] = useState<{ matches?: boolean; error?: string } | null>(null);
  const [{ fetching }, verify] = useMutation(VerifySecretDocument);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const outcome = outcomeOf<boolean>(await verify({ input: { id: entry.id, value } }), "verifySecret");
    setValue("");
    setAnswer(outcome.ok ? { matches: outcome.data } : { error: outcome.error });
  }
  return (
    <form onSubmit={submit} autoComplete="off">
      <ValueField label="Value to check" masked value={value} onChange={setValue} required />
      <ErrorLine error={answer?.error} />
      {answer && !answer.error ? (
        <p role="status" className={answer.matches ? "ok" : "error"}>
          {answer.matches ? "It matches the stored value." : "It does not match the stored value."}
        </p>
      ) : null}
      <div className="actions">
        <button type="submit" disabled={fetching || !value}>
          Verify
        </button>
      </div>
    </form>
  );
}

export function DeleteDialog(props: { entry: EntryRow | null; onClose: () => void }) {
  const { entry } = props;
  return (
    <Modal
      open={entry !== null}
      onOpenChange={(open) => open || props.onClose()}
      title={entry ? `Delete ${entry.name}?` : ""}
      description="Its value and every kept version are deleted. This cannot be undone."
    >
      {entry ? <DeleteForm entry={entry} onClose={props.onClose} /> : null}
    </Modal>
  );
}

function DeleteForm({ entry, onClose }: { entry: EntryRow; onClose: () => void }) {
  const { dropEntry, reloadAgents, putEntry } = useData();
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<{ id: string; name: string }[]>([]);
  const [{ fetching }, remove] = useMutation(DeleteEntryDocument);
  const [, detach] = useMutation(DetachEntriesDocument);
  async function confirm() {
    const result = await remove({ input: { id: entry.id } });
    const payload = result.data?.deleteEntry;
    if (payload?.__typename === "EntryInUseError") {
      setError(payload.message);
      setUsers(payload.agents);
      return;
    }
    const outcome = outcomeOf(result, "deleteEntry");
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    dropEntry(entry.id);
    onClose();
  }
  async function detachFrom(agent: { id: string; name: string }) {
    const outcome = outcomeOf(await detach({ input: { agentId: agent.id, entryIds: [entry.id] } }), "detachEntries");
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    const left = users.filter((user) => user.id !== agent.id);
    setUsers(left);
    putEntry({ ...entry, usedBy: left, usedByCount: left.length });
    reloadAgents();
    if (left.length === 0) setError(null);
  }
  return (
    <div>
      {error ? (
        <div className="error" role="alert">
          <p>{error}</p>
        </div>
      ) : null}
      {users.length ? (
        <ul className="in-use">
          {users.map((agent) => (
            <li key={agent.id}>
              <Link to={`/agents/${agent.id}`} onClick={onClose}>
                {agent.name}
              </Link>
              <button type="button" className="secondary" onClick={() => detachFrom(agent)}>
                Detach from {agent.name}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={confirm} disabled={fetching || users.length > 0}>
          Delete
        </button>
      </div>
    </div>
  );
}

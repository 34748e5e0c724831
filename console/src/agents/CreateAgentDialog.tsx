// "Create agent": a name, then a step to choose the variables and secrets it starts with.
import { CreateAgentDocument } from "@agent-vault/sdk/documents";
import { type FormEvent, useState } from "react";
import { useMutation } from "urql";
import { type AgentRow, useData } from "../app/data.tsx";
import { Modal } from "../app/modal.tsx";
import { navigate } from "../app/router.tsx";
import { ErrorLine, Field, outcomeOf } from "../app/ui.tsx";
import { EntryPicker } from "./EntryPicker.tsx";

export function CreateAgentDialog(props: { open: boolean; onClose: () => void }) {
  return (
    <Modal open={props.open} onOpenChange={(open) => open || props.onClose()} title="Create agent" wide>
      {props.open ? <CreateAgentForm onClose={props.onClose} /> : null}
    </Modal>
  );
}

function CreateAgentForm({ onClose }: { onClose: () => void }) {
  const { reloadAgents, reloadEntries } = useData();
  const [step, setStep] = useState<"name" | "entries">("name");
  const [name, setName] = useState("");
  const [restartOnChange, setRestartOnChange] = useState(false);
  const [entryIds, setEntryIds] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [{ fetching }, create] = useMutation(CreateAgentDocument);
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (step === "name") {
      setStep("entries");
      return;
    }
    const outcome = outcomeOf<AgentRow>(
      await create({ input: { name, entryIds, restartPolicy: restartOnChange ? "ON_CHANGE" : "MANUAL" } }),
      "createAgent",
    );
    if (!outcome.ok) {
      setError(outcome.error);
      return;
    }
    reloadAgents();
    if (entryIds.length) reloadEntries();
    onClose();
    navigate(`/agents/${outcome.data.id}`);
  }
  return (
    <form onSubmit={submit} autoComplete="off">
      {step === "name" ? (
        <>
          <Field
            label="Name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            required
            autoComplete="off"
            spellCheck={false}
          />
          <label className="choice">
            <input
              type="checkbox"
              checked={restartOnChange}
              onChange={(event) => setRestartOnChange(event.target.checked)}
            />
            Restart by itself when its entries change
          </label>
        </>
      ) : (
        <EntryPicker legend="Variables and secrets it starts with" chosen={entryIds} onChange={setEntryIds} />
      )}
      <ErrorLine error={error} />
      <div className="actions">
        {step === "entries" ? (
          <button type="button" className="secondary" onClick={() => setStep("name")}>
            Back
          </button>
        ) : null}
        <button type="submit" disabled={fetching || !name.trim()}>
          {step === "name" ? "Next" : "Create"}
        </button>
      </div>
    </form>
  );
}

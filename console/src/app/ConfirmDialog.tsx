// The dialog that asks (confirm.tsx opens it): what will happen, to whom, and for the gravest
// clicks a name to type before the button works.
import { type FormEvent, useState } from "react";
import type { ConfirmRequest } from "./confirm.tsx";
import { Modal } from "./modal.tsx";
import { Field } from "./ui.tsx";

export function ConfirmDialog({ request, onAnswer }: { request: ConfirmRequest; onAnswer: (yes: boolean) => void }) {
  return (
    <Modal open onOpenChange={(open) => open || onAnswer(false)} title={request.title}>
      <ConfirmForm request={request} onAnswer={onAnswer} />
    </Modal>
  );
}

function ConfirmForm({ request, onAnswer }: { request: ConfirmRequest; onAnswer: (yes: boolean) => void }) {
  const [typed, setTyped] = useState("");
  const ready = request.typeToConfirm === undefined || typed === request.typeToConfirm;
  function submit(event: FormEvent) {
    event.preventDefault();
    if (ready) onAnswer(true);
  }
  return (
    <form onSubmit={submit} autoComplete="off">
      <div className="confirm-body">{request.body}</div>
      {request.typeToConfirm !== undefined ? (
        <Field
          label={`Type ${request.typeToConfirm} to confirm`}
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
      ) : null}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => onAnswer(false)}>
          Cancel
        </button>
        <button type="submit" className="danger" disabled={!ready}>
          {request.confirmLabel}
        </button>
      </div>
    </form>
  );
}

// The dialogs of a row's "…" menu (loaded with the first of them).
import type { EntryRow } from "../app/data.tsx";
import type { EntryAction } from "./EntriesTable.tsx";
import { DeleteDialog, UpdateValueDialog, VerifyDialog } from "./EntryDialogs.tsx";
import { HistoryDialog } from "./HistoryDialog.tsx";

export function RowDialogs({
  acting,
  onClose,
}: {
  acting: { action: EntryAction; entry: EntryRow };
  onClose: () => void;
}) {
  const entryFor = (action: EntryAction) => (acting.action === action ? acting.entry : null);
  return (
    <>
      <UpdateValueDialog entry={entryFor("update")} onClose={onClose} />
      <VerifyDialog entry={entryFor("verify")} onClose={onClose} />
      <HistoryDialog entry={entryFor("history")} onClose={onClose} />
      <DeleteDialog entry={entryFor("delete")} onClose={onClose} />
    </>
  );
}

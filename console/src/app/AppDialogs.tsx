// The dialogs any page and the palette open (loaded with the first of them).
import { CreateAgentDialog } from "../agents/CreateAgentDialog.tsx";
import { AddEntryDialog } from "../entries/EntryDialogs.tsx";
import { ImportDialog } from "../entries/ImportDialog.tsx";
import { ConnectDialog } from "../providers/ConnectDialog.tsx";
import { useDialogs } from "./dialogs.tsx";

export function AppDialogs() {
  const { dialog, closeDialog } = useDialogs();
  return (
    <>
      <ConnectDialog provider={dialog && "connect" in dialog ? dialog.connect : null} onClose={closeDialog} />
      <AddEntryDialog kind={dialog && "add" in dialog ? dialog.add : null} onClose={closeDialog} />
      <ImportDialog open={!!dialog && "import" in dialog} onClose={closeDialog} />
      <CreateAgentDialog open={!!dialog && "createAgent" in dialog} onClose={closeDialog} />
    </>
  );
}

// The dialogs any page, and the command palette, can open: connecting a provider, adding an
// entry, importing a .env file, creating an agent; and the entry search the palette jumps with.
import type { AiProvider, EntryKind } from "@agent-vault/sdk/documents";
import { createContext, type ReactNode, useContext, useMemo, useState } from "react";

export type OpenDialog = { connect: AiProvider } | { add: EntryKind } | { import: true } | { createAgent: true } | null;

type Dialogs = {
  dialog: OpenDialog;
  openDialog: (dialog: OpenDialog) => void;
  closeDialog: () => void;
  /** The Secrets Vault page's search: the palette's jump to an entry sets it. */
  entrySearch: string;
  setEntrySearch: (search: string) => void;
};

const DialogsContext = createContext<Dialogs | null>(null);

export function DialogsProvider({ children }: { children: ReactNode }) {
  const [dialog, setDialog] = useState<OpenDialog>(null);
  const [entrySearch, setEntrySearch] = useState("");
  const value = useMemo(
    () => ({ dialog, openDialog: setDialog, closeDialog: () => setDialog(null), entrySearch, setEntrySearch }),
    [dialog, entrySearch],
  );
  return <DialogsContext.Provider value={value}>{children}</DialogsContext.Provider>;
}

export function useDialogs(): Dialogs {
  const dialogs = useContext(DialogsContext);
  if (!dialogs) throw new Error("useDialogs outside DialogsProvider");
  return dialogs;
}

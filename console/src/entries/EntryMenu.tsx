// A row's menu (Radix: arrow keys, Escape, focus back to its button), opened as it loads.
import * as Menu from "@radix-ui/react-dropdown-menu";
import { useState } from "react";
import type { EntryRow } from "../app/data.tsx";
import type { EntryAction } from "./EntriesTable.tsx";

export function EntryMenu(props: {
  entry: EntryRow;
  onAction: (action: EntryAction, entry: EntryRow) => void;
  onClosed: () => void;
}) {
  const { entry, onAction } = props;
  const [open, setOpen] = useState(true);
  return (
    <Menu.Root
      // Not modal: a modal menu hides the page with aria-hidden while its controls stay focusable.
      modal={false}
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) props.onClosed();
      }}
    >
      <Menu.Trigger className="icon" aria-label={`Actions for ${entry.name}`}>
        …
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu" align="end" sideOffset={4}>
          <Menu.Item className="menu-item" onSelect={() => onAction("update", entry)}>
            Update value
          </Menu.Item>
          {entry.kind === "SECRET" ? (
            <Menu.Item className="menu-item" onSelect={() => onAction("verify", entry)}>
              Verify value
            </Menu.Item>
          ) : null}
          <Menu.Item className="menu-item" onSelect={() => onAction("history", entry)}>
            History
          </Menu.Item>
          <Menu.Item className="menu-item danger" onSelect={() => onAction("delete", entry)}>
            Delete
          </Menu.Item>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
  );
}

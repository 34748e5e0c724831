// A modal dialog (Radix: focus trapped inside, Escape closes, focus returns to what opened it).
import * as Dialog from "@radix-ui/react-dialog";
import { type ReactNode, useRef } from "react";

export function Modal(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  // The dialogs open from buttons, menus and the palette, not from a Radix trigger: focus goes back
  // to whatever had it when the dialog opened.
  const opener = useRef<HTMLElement | null>(null);
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content
          className={props.wide ? "dialog wide" : "dialog"}
          aria-describedby={undefined}
          onOpenAutoFocus={() => {
            opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
          }}
          onCloseAutoFocus={(event) => {
            if (opener.current?.isConnected) {
              event.preventDefault();
              opener.current.focus();
            }
          }}
        >
          <Dialog.Title>{props.title}</Dialog.Title>
          {props.description ? <Dialog.Description className="muted">{props.description}</Dialog.Description> : null}
          {props.children}
          <Dialog.Close className="close" aria-label="Close">
            ×
          </Dialog.Close>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

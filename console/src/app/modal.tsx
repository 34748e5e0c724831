// A modal dialog (Radix: focus trapped inside, Escape closes, focus returns to what opened it).
import * as Dialog from "@radix-ui/react-dialog";
import type { ReactNode } from "react";

export function Modal(props: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  wide?: boolean;
}) {
  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className={props.wide ? "dialog wide" : "dialog"} aria-describedby={undefined}>
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

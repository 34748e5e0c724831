// Asking before a click that cannot be taken back: `await confirm({...})` opens one dialog that
// says what will happen and to whom, and resolves true only when the person confirms (for the
// gravest, by typing a name).
import { createContext, type ReactNode, Suspense, useCallback, useContext, useRef, useState } from "react";
import { later } from "./later.ts";

// The dialog itself (Radix) loads with the other later code, not with the first page.
const ConfirmDialog = later(() => import("./ConfirmDialog.tsx").then((m) => m.ConfirmDialog));

export type ConfirmRequest = {
  title: string;
  /** What happens, and to whom. */
  body: ReactNode;
  /** The confirming button's label, such as "Revoke". */
  confirmLabel: string;
  /** A name the person must type before the button works. */
  typeToConfirm?: string;
};

type Confirm = (request: ConfirmRequest) => Promise<boolean>;

const ConfirmContext = createContext<Confirm>(async () => false);

export const useConfirm = () => useContext(ConfirmContext);

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [asked, setAsked] = useState<{ request: ConfirmRequest; id: number } | null>(null);
  const answer = useRef<(yes: boolean) => void>(() => {});
  const confirm = useCallback<Confirm>(
    (next) =>
      new Promise<boolean>((resolve) => {
        answer.current(false);
        answer.current = resolve;
        setAsked((last) => ({ request: next, id: (last?.id ?? 0) + 1 }));
      }),
    [],
  );
  const close = (yes: boolean) => {
    answer.current(yes);
    answer.current = () => {};
    setAsked(null);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      {asked ? (
        <Suspense fallback={null}>
          <ConfirmDialog key={asked.id} request={asked.request} onAnswer={close} />
        </Suspense>
      ) : null}
    </ConfirmContext.Provider>
  );
}

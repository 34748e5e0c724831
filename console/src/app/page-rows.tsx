// The rows a page of a longer table ends with: "Loading…" until it answers, its error, and the
// button that shows the next (older) page.
import type { ReactNode } from "react";
import { ErrorLine } from "./ui.tsx";

export function NoteRow({ columns, children }: { columns: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={columns} className="muted">
        {children}
      </td>
    </tr>
  );
}

export function PageEnd(props: {
  columns: number;
  loading: boolean;
  error: { message: string } | undefined;
  /** The next page's button, when there is one. */
  more: { label: string; show: () => void } | null;
}) {
  const { columns, more } = props;
  return (
    <>
      {props.loading ? <NoteRow columns={columns}>Loading…</NoteRow> : null}
      {props.error ? (
        <NoteRow columns={columns}>
          <ErrorLine error={props.error.message.replace(/^\[\w+\] /, "")} />
        </NoteRow>
      ) : null}
      {more ? (
        <NoteRow columns={columns}>
          <button type="button" className="secondary" onClick={more.show}>
            {more.label}
          </button>
        </NoteRow>
      ) : null}
    </>
  );
}

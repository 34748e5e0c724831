// Small shared pieces: labelled fields, a copy button, an error line, and dates as people read them.
import {
  type ClipboardEvent,
  type InputHTMLAttributes,
  type ReactNode,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from "react";

export function Field(
  props: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode; error?: string | null },
) {
  const { label, hint, error, ...input } = props;
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/**
 * A value's field: several lines (a pasted PEM key stays one), kept as pasted (CRLF line endings
 * stay CRLF: the browser would turn them into LF), hidden for secrets until shown. Never
 * autofilled or remembered.
 */
export function ValueField(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  masked: boolean;
  required?: boolean;
  hint?: ReactNode;
}) {
  const { label, value, onChange, masked, hint } = props;
  const id = useId();
  const hintId = `${id}-hint`;
  const [shown, setShown] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const caret = useRef<number | null>(null);
  // The line ending the value is kept with: the last pasted text's, LF until then.
  const lineEnding = useRef(value.includes("\r\n") ? "\r\n" : "\n");
  const shownText = value.replace(/\r\n/g, "\n");
  const lines = shownText.split("\n").length;
  const store = (text: string) => onChange(text.replace(/\n/g, lineEnding.current));

  useLayoutEffect(() => {
    if (caret.current === null || !area.current) return;
    area.current.setSelectionRange(caret.current, caret.current);
    caret.current = null;
  });

  function paste(event: ClipboardEvent<HTMLTextAreaElement>) {
    const pasted = event.clipboardData.getData("text/plain");
    if (!pasted) return;
    // Inserted here rather than by the browser, which would read CRLF as LF.
    event.preventDefault();
    if (pasted.includes("\n")) lineEnding.current = pasted.includes("\r\n") ? "\r\n" : "\n";
    const target = event.currentTarget;
    const inserted = pasted.replace(/\r\n/g, "\n");
    caret.current = target.selectionStart + inserted.length;
    store(shownText.slice(0, target.selectionStart) + inserted + shownText.slice(target.selectionEnd));
  }

  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor={id}>{label}</label>
        {masked ? (
          <button
            type="button"
            className="link"
            aria-pressed={shown}
            aria-controls={id}
            onClick={() => setShown((now) => !now)}
          >
            Show value
          </button>
        ) : null}
      </div>
      <textarea
        id={id}
        ref={area}
        rows={Math.min(Math.max(lines, 2), 10)}
        className={masked && !shown ? "masked" : undefined}
        value={shownText}
        onChange={(event) => store(event.target.value)}
        onPaste={paste}
        required={props.required}
        aria-describedby={hint ? hintId : undefined}
        autoComplete="off"
        autoCorrect="off"
        autoCapitalize="off"
        spellCheck={false}
        data-1p-ignore
        data-lpignore="true"
      />
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A value-carrying field: never autofilled, never remembered, masked for secrets. */
export const valueInputProps = (masked: boolean) =>
  ({
    type: masked ? "password" : "text",
    autoComplete: "off",
    autoCorrect: "off",
    autoCapitalize: "off",
    spellCheck: false,
    "data-1p-ignore": true,
    "data-lpignore": "true",
  }) as const;

export function ErrorLine({ error }: { error: string | null | undefined }) {
  return error ? (
    <p className="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      onClick={async () => {
        await navigator.clipboard?.writeText(text).catch(() => {});
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      }}
    >
      {copied ? "Copied" : label}
    </button>
  );
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["year", 365 * 86400],
  ["month", 30 * 86400],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

export function When({ at }: { at: string | null | undefined }) {
  if (!at) return <span className="muted">never</span>;
  const seconds = (new Date(at).getTime() - Date.now()) / 1000;
  const [unit, size] = STEPS.find(([, size]) => Math.abs(seconds) >= size) ?? ["second", 1];
  return (
    <time dateTime={at} title={new Date(at).toLocaleString()}>
      {relative.format(Math.round(seconds / size), unit)}
    </time>
  );
}

/** A mutation's union result: its data, or the error's message. */
export type Outcome<T> = { ok: true; data: T; error?: undefined } | { ok: false; data?: undefined; error: string };

export function outcomeOf<T>(
  result: { data?: Record<string, unknown> | null; error?: { message: string } | null },
  field: string,
): Outcome<T> {
  if (result.error) return { ok: false, error: result.error.message.replace(/^\[(GraphQL|Network)\] /, "") };
  const payload = result.data?.[field] as { __typename?: string; data?: T; message?: string } | undefined;
  if (!payload) return { ok: false, error: "No answer from the vault" };
  if (payload.__typename?.endsWith("Success")) return { ok: true, data: payload.data as T };
  return { ok: false, error: payload.message ?? "The vault refused this" };
}

/** Why a name is refused, as the server says it (it also refuses reserved names such as PATH). */
export function nameProblem(name: string): string | null {
  if (!name) return null;
  if (name.length > 128) return "A name is at most 128 characters";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    return "A name starts with a letter or underscore and holds only letters, digits and underscores";
  }
  return null;
}

// docs/architecture.md rules 1 and 2: what a name and a value may be. Messages never quote a value.
import type { EntryKind } from "../../db/enums.ts";
import { ValidationError } from "../common/errors.ts";
import { reservedReason } from "./reserved-names.ts";

export const MAX_NAME_LENGTH = 128;
export const MAX_VALUE_BYTES = 64 * 1024;
export const MAX_ENVIRONMENT_BYTES = 1024 * 1024;

const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The order of names in lists: localeCompare's, from one collator instead of one per call. */
export const compareNames: (a: string, b: string) => number = new Intl.Collator().compare;

/** Names compare regardless of case. */
export function nameKey(name: string): string {
  return name.toUpperCase();
}

/** Why a name is refused, or null when it is fine. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return "A name must not be empty";
  if (name.length > MAX_NAME_LENGTH) return `A name is at most ${MAX_NAME_LENGTH} characters`;
  if (!NAME_PATTERN.test(name)) {
    return "A name starts with a letter or underscore and holds only letters, digits and underscores";
  }
  return reservedReason(nameKey(name));
}

/** Why a value is refused, or null when it is fine. */
export function valueProblem(value: string, kind: EntryKind): string | null {
  if (kind === "SECRET" && value.length === 0) return "A secret's value must not be empty";
  if (!value.isWellFormed()) return "A value must be valid UTF-8 text";
  if (value.includes("\0")) return "A value must not contain the NUL character";
  if (Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) return `A value is at most ${MAX_VALUE_BYTES} bytes`;
  return null;
}

export function assertValidName(name: string, field = "name"): void {
  const problem = nameProblem(name);
  if (problem) throw new ValidationError(problem, field);
}

export function assertValidValue(value: string, kind: EntryKind, field = "value"): void {
  const problem = valueProblem(value, kind);
  if (problem) throw new ValidationError(problem, field);
}

/** Bytes an entry takes in a process environment: NAME=value and the terminating NUL. */
export function environmentBytes(name: string, valueSize: number): number {
  return Buffer.byteLength(name, "utf8") + 1 + valueSize + 1;
}

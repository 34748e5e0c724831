// Tokens confirmed by the write they authorize. A request whose one operation is a write that
// records its event in one statement (FIRST_WRITES) is served with the viewer this instance
// verified its token as before, and that statement (or the first of its transaction) also checks
// that the token's row is still the one verified: revoked, or changed in any way, nothing is
// written. Any request with such a viewer that no statement confirmed has its token read again
// before its answer goes (app.ts), so that it answers as a request with that token always did.
import { type DocumentNode, Kind, parse } from "graphql";
import type { SqlRunner } from "../db/database.ts";
import { tokenStillAsVerified } from "../modules/token/token.dal.ts";
import type { Confirmation } from "./viewer.ts";

/** The token was not confirmed: it is no longer the row it was verified as. */
export class ViewerUnconfirmedError extends Error {
  override name = "ViewerUnconfirmedError";
  constructor() {
    super("The token is no longer as it was verified");
  }
}

/** The check of a token not confirmed yet, as a statement and its parameters; null when none is needed. */
export function pendingCheck(unconfirmed: Confirmation | undefined) {
  return unconfirmed && !unconfirmed.confirmed ? tokenStillAsVerified(unconfirmed) : null;
}

/** Confirms the token in the caller's transaction, before its writes commit; throws when it cannot. */
export async function confirmIn(run: SqlRunner, unconfirmed: Confirmation | undefined): Promise<void> {
  const check = pendingCheck(unconfirmed);
  if (!check || !unconfirmed) return;
  if ((await run(check.sql, check.params)).length === 0) throw new ViewerUnconfirmedError();
  unconfirmed.confirmed = true;
}

/** The mutations whose write confirms its token: each records its one event in a statement it writes. */
const FIRST_WRITES = new Set(["addSecret", "addVariable"]);
/** The scope each needs (checked against the verified token before the write). */
export const FIRST_WRITE_SCOPE = "ENTRIES_WRITE";

const KNOWN_OPERATIONS = 1000;
// Longer operations are not these writes (nor kept: the request's text is the key).
const LONGEST_OPERATION = 2000;
const operations = new Map<string, boolean>();

/** Whether the operation a request runs is one mutation field of FIRST_WRITES (nothing else at its root). */
export function confirmsByItsWrite(query: unknown, operationName: unknown): boolean {
  if (typeof query !== "string" || query.length > LONGEST_OPERATION) return false;
  const key = `${typeof operationName === "string" ? operationName : ""}\u0000${query}`;
  let known = operations.get(key);
  if (known === undefined) {
    let document: DocumentNode | null = null;
    try {
      document = parse(query, { noLocation: true });
    } catch {}
    known = document !== null && isFirstWrite(document, typeof operationName === "string" ? operationName : null);
    if (operations.size >= KNOWN_OPERATIONS) operations.delete(operations.keys().next().value as string);
    operations.set(key, known);
  }
  return known;
}

function isFirstWrite(document: DocumentNode, operationName: string | null): boolean {
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations[0];
  if (!operation || (!operationName && operations.length !== 1)) return false;
  const root = operation.selectionSet.selections;
  return (
    operation.operation === "mutation" &&
    root.length === 1 &&
    root[0]?.kind === Kind.FIELD &&
    !root[0].directives?.length &&
    FIRST_WRITES.has(root[0].name.value)
  );
}

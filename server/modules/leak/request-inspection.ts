// Looking through one brokered request for its agent's environment secrets: its headers, its
// target (path and query) and its body, whole or as it streams (a value split across chunks is
// found), and replacing each form found with the marker where the policy is to redact.
import type { IncomingHttpHeaders } from "node:http";
import type { Watched } from "./leak-values.ts";

export const REDACTED_IN_REQUEST = "[redacted by agent-vault]";
const MARKER = Buffer.from(REDACTED_IN_REQUEST);
const MARKER_IN_URL = encodeURIComponent(REDACTED_IN_REQUEST);

const bytesOf = (out: Uint8Array) => Buffer.from(out.buffer, out.byteOffset, out.byteLength);

/** Text with every form of every watched value replaced (`marker`), and the values found. */
function replaceIn(watched: Watched, text: string, marker: string, found: Set<number>): string {
  if (text.length < watched.matcher.minLength) return text;
  // Node reads a header's bytes as latin1: as they were sent (UTF-8 bytes of a value), and as the
  // characters a client sent latin1-encoded (a value's "ö" as one byte; in ASCII both are the same).
  const sent = replaceBytes(watched, text, "latin1", marker, found);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the test is for any byte beyond ASCII
  return /[^\x00-\x7f]/.test(sent) ? replaceBytes(watched, sent, "utf8", marker, found) : sent;
}

function replaceBytes(
  watched: Watched,
  text: string,
  encoding: "latin1" | "utf8",
  marker: string,
  found: Set<number>,
): string {
  const bytes = Buffer.from(text, encoding);
  const matches = watched.matcher.scan(bytes);
  if (matches.length === 0) return text;
  let out = "";
  let at = 0;
  for (const match of matches) {
    found.add(match.value);
    out += bytes.toString(encoding, at, match.start) + marker;
    at = match.end;
  }
  return out + bytes.toString(encoding, at);
}

/**
 * The request's headers and target (its path and its query) as they may go on: with `redact`, each
 * value replaced; the values found either way. Header values are read as Node gives them (latin1),
 * byte for byte as they were sent.
 */
export function inspectHead<T extends readonly string[]>(
  watched: Watched,
  headers: IncomingHttpHeaders,
  target: T,
  redact: boolean,
): { headers: IncomingHttpHeaders; target: T; found: Set<number> } {
  const found = new Set<number>();
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === "string") out[name] = replaceIn(watched, value, REDACTED_IN_REQUEST, found);
    else if (Array.isArray(value)) out[name] = value.map((one) => replaceIn(watched, one, REDACTED_IN_REQUEST, found));
  }
  const checked = target.map((part) => replaceIn(watched, part, MARKER_IN_URL, found)) as unknown as T;
  return redact ? { headers: out, target: checked, found } : { headers, target, found };
}

/** The values a body read in chunks carries (also across two chunks). */
export function foundInChunks(watched: Watched, chunks: readonly Buffer[]): Set<number> {
  const watcher = watched.matcher.watching();
  let found: number[] = [];
  for (const chunk of chunks) found = watcher.push(chunk);
  return new Set(found);
}

/** A whole body: the values it carries, and (redact) the body with them replaced. */
export function inspectBody(watched: Watched, body: Buffer, redact: boolean): { body: Buffer; found: Set<number> } {
  const found = new Set<number>();
  const matches = watched.matcher.scan(body);
  if (matches.length === 0) return { body, found };
  for (const match of matches) found.add(match.value);
  if (!redact) return { body, found };
  const parts: Buffer[] = [];
  let at = 0;
  for (const match of matches) {
    parts.push(body.subarray(at, match.start), MARKER);
    at = match.end;
  }
  parts.push(body.subarray(at));
  return { body: Buffer.concat(parts), found };
}

/**
 * A body as it streams, each chunk passed on as it comes (with `redact`, the values replaced and
 * only what could begin one held back); `onEnd` hears the values found once the body has ended.
 */
export async function* inspectedStream(
  watched: Watched,
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  redact: boolean,
  onEnd: (found: Set<number>) => void,
): AsyncGenerator<Buffer> {
  const found = new Set<number>();
  if (redact) {
    const replacer = watched.matcher.replacing(REDACTED_IN_REQUEST);
    for await (const chunk of source) {
      const { out, found: here } = replacer.push(chunk);
      for (const value of here) found.add(value);
      for (const piece of out) yield bytesOf(piece);
    }
    const rest = replacer.end();
    if (rest.length > 0) yield bytesOf(rest);
  } else {
    const watcher = watched.matcher.watching();
    for await (const chunk of source) {
      for (const value of watcher.push(chunk)) found.add(value);
      yield chunk;
    }
  }
  onEnd(found);
}

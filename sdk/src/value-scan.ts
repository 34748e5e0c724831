// Finding an agent's own secret values in bytes that pass by (its output, its outbound requests), in
// the forms an agent or a library turns them into: raw, JSON-escaped, URL-encoded, base64 and
// base64url (at each of the three byte alignments a value can have inside a longer encoded text),
// hex. Many values at once, in one pass: Wu–Manber's block shifts over the shortest form's length,
// so that clean text is skipped several bytes at a time (no package we found matches many byte
// patterns in a stream at this speed; Aho–Corasick libraries walk every byte through objects).
// Plain Uint8Array, so that it runs in Node and in browsers alike.

/** What a value becomes in `agent-vault run`'s output. */
export const CONCEALED = "<concealed by agent-vault>";
/** Shorter values are not looked for: they would be found in ordinary text. */
export const MIN_SCANNED_LENGTH = 8;

const encoder = new TextEncoder();
const BLOCK = 3;
const TABLE_BITS = 16;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

const hashAt = (bytes: Uint8Array, end: number) =>
  (((bytes[end - 2] as number) << 9) ^ ((bytes[end - 1] as number) << 4) ^ (bytes[end] as number)) & TABLE_MASK;

function base64Of(bytes: Uint8Array, url: boolean): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const text = btoa(binary);
  return url ? text.replaceAll("+", "-").replaceAll("/", "_") : text;
}

/**
 * The part of a value's base64 that does not depend on what surrounds it, at each alignment: the
 * value preceded by 0, 1 or 2 bytes of something else.
 */
function base64Forms(bytes: Uint8Array, url: boolean): string[] {
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const start = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    forms.push(base64Of(padded, url).slice(start, end));
  }
  return forms;
}

const hexOf = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
// Python's json.dumps (ensure_ascii) writes every non-ASCII character as \uXXXX.
const asciiJson = (json: string) =>
  json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);

/** The forms of one value that are looked for (distinct; none shorter than the value's minimum). */
export function valueForms(value: string): string[] {
  const bytes = encoder.encode(value);
  const json = JSON.stringify(value).slice(1, -1);
  const forms = [
    value,
    json,
    asciiJson(json),
    json.replaceAll("/", "\\/"),
    encodeURIComponent(value),
    new URLSearchParams([["v", value]]).toString().slice(2),
    ...base64Forms(bytes, false),
    ...base64Forms(bytes, true),
    hexOf(bytes),
    hexOf(bytes).toUpperCase(),
  ];
  return [...new Set(forms)].filter((form) => form.length >= MIN_SCANNED_LENGTH);
}

/** An occurrence: bytes [start, end) are a form of values[value]. */
export type ValueMatch = { start: number; end: number; value: number };

export type ValueMatcher = {
  /** How many values are looked for. */
  readonly size: number;
  /** The shortest form's length in bytes: shorter bytes hold no value. */
  readonly minLength: number;
  /** Every occurrence in bytes [from, end), leftmost first, not overlapping (the longest where two start together). */
  scan(bytes: Uint8Array, from?: number): ValueMatch[];
  /** How many bytes at the end of `bytes` (from `from` on) could be the start of a form. */
  heldTail(bytes: Uint8Array, from?: number): number;
  /** Replaces every form of every value with `marker` in a stream of chunks (see `replacing`). */
  replacing(marker: string): ValueReplacer;
  /** Finds values in a stream of chunks without changing or holding them (see `watching`). */
  watching(): ValueWatcher;
};

export type ValueReplacer = {
  /** What may pass now, in pieces, the marker in place of each form found; `found` the values' indexes. */
  push(chunk: Uint8Array): { out: Uint8Array[]; found: number[] };
  /** What was held back because it could have been the start of a value. */
  end(): Uint8Array;
};

export type ValueWatcher = {
  /** The values found so far in the stream, counting those split across chunks. */
  push(chunk: Uint8Array): number[];
};

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * A matcher for `values` (those shorter than MIN_SCANNED_LENGTH are skipped), or null when there
 * is nothing to look for.
 */
export function valueMatcher(values: readonly string[]): ValueMatcher | null {
  const needles: Uint8Array[] = [];
  const owners: number[] = [];
  values.forEach((value, index) => {
    if (value.length < MIN_SCANNED_LENGTH) return;
    for (const form of valueForms(value)) {
      needles.push(encoder.encode(form));
      owners.push(index);
    }
  });
  if (needles.length === 0) return null;
  let shortest = Number.POSITIVE_INFINITY;
  let longest = 0;
  for (const needle of needles) {
    shortest = Math.min(shortest, needle.length);
    longest = Math.max(longest, needle.length);
  }
  const m = shortest;
  // How far the window may move when its last BLOCK bytes hash to a slot; 0: a needle may end here.
  const shifts = new Uint8Array(1 << TABLE_BITS).fill(Math.min(255, m - BLOCK + 1));
  const candidates = new Map<number, number[]>();
  // Needles by first byte: what a chunk's last bytes could be the start of.
  const byFirst: number[][] = Array.from({ length: 256 }, () => []);
  needles.forEach((needle, index) => {
    for (let q = BLOCK - 1; q < m; q++) {
      const slot = hashAt(needle, q);
      const shift = m - 1 - q;
      if (shift < (shifts[slot] as number)) shifts[slot] = shift;
      if (shift === 0) {
        const list = candidates.get(slot);
        if (list) list.push(index);
        else candidates.set(slot, [index]);
      }
    }
    byFirst[needle[0] as number]?.push(index);
  });

  const equalAt = (bytes: Uint8Array, start: number, needle: Uint8Array, length = needle.length) => {
    for (let i = 0; i < length; i++) if (bytes[start + i] !== needle[i]) return false;
    return true;
  };

  function scan(bytes: Uint8Array, from = 0): ValueMatch[] {
    const found: ValueMatch[] = [];
    const n = bytes.length;
    let end = from + m - 1;
    while (end < n) {
      const slot = hashAt(bytes, end);
      const shift = shifts[slot] as number;
      if (shift !== 0) {
        end += shift;
        continue;
      }
      const start = end - m + 1;
      for (const index of candidates.get(slot) as number[]) {
        const needle = needles[index] as Uint8Array;
        if (start + needle.length <= n && equalAt(bytes, start, needle)) {
          found.push({ start, end: start + needle.length, value: owners[index] as number });
        }
      }
      end++;
    }
    if (found.length < 2) return found;
    found.sort((a, b) => a.start - b.start || b.end - a.end);
    const kept: ValueMatch[] = [];
    let reached = from;
    for (const match of found) {
      if (match.start < reached) continue;
      kept.push(match);
      reached = match.end;
    }
    return kept;
  }

  function heldTail(bytes: Uint8Array, from = 0): number {
    const n = bytes.length;
    for (let i = Math.max(from, n - longest + 1); i < n; i++) {
      const length = n - i;
      for (const index of byFirst[bytes[i] as number] as number[]) {
        const needle = needles[index] as Uint8Array;
        if (needle.length > length && equalAt(bytes, i, needle, length)) return length;
      }
    }
    return 0;
  }

  return {
    size: values.length,
    minLength: m,
    scan,
    heldTail,
    replacing(marker) {
      const replacement = encoder.encode(marker);
      let held: Uint8Array | null = null;
      return {
        push(chunk) {
          // Pieces of the chunk as they are (no copies: a fresh 64 KB array costs more than scanning it).
          const out: Uint8Array[] = [];
          const found: number[] = [];
          let bytes = chunk;
          let from = 0;
          if (held && chunk.length < longest - 1) {
            // A short chunk: with what was held back, as one.
            bytes = concat([held, chunk]);
          } else if (held) {
            // What was held back with the start of this chunk: every value that begins in it ends there.
            const seam = concat([held, chunk.subarray(0, longest - 1)]);
            const crossing = scan(seam).find((match) => match.start < (held as Uint8Array).length);
            if (crossing) {
              if (crossing.start > 0) out.push(held.subarray(0, crossing.start));
              out.push(replacement);
              found.push(crossing.value);
              from = crossing.end - held.length;
            } else {
              out.push(held);
            }
          }
          held = null;
          const matches = scan(bytes, from);
          let at = from;
          for (const match of matches) {
            if (match.start > at) out.push(bytes.subarray(at, match.start));
            out.push(replacement);
            if (!found.includes(match.value)) found.push(match.value);
            at = match.end;
          }
          const keep = heldTail(bytes, at);
          if (keep > 0) held = bytes.slice(bytes.length - keep);
          if (bytes.length - keep > at) out.push(bytes.subarray(at, bytes.length - keep));
          return { out, found };
        },
        end() {
          const rest = held ?? new Uint8Array(0);
          held = null;
          return rest;
        },
      };
    },
    watching() {
      const found = new Set<number>();
      let tail = new Uint8Array(0);
      const note = (matches: ValueMatch[]) => {
        for (const match of matches) found.add(match.value);
      };
      return {
        push(chunk) {
          // A value split across chunks: the previous chunk's last bytes with this one's first.
          if (tail.length > 0) note(scan(concat([tail, chunk.subarray(0, longest - 1)])));
          note(scan(chunk));
          const keep = Math.min(longest - 1, chunk.length);
          tail = keep === chunk.length ? concat([tail, chunk]).slice(-(longest - 1)) : chunk.slice(chunk.length - keep);
          return [...found];
        },
      };
    },
  };
}

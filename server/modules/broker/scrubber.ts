// A key that comes back is scrubbed: every occurrence of the value in a response body becomes the
// marker, also when it is split across chunks. Only what could be the start of the value is held
// back at a chunk's end, so a stream of events still reaches the agent frame by frame.
export const REDACTED = "[redacted by agent-vault]";

/** How many bytes at the end of `buffer` (from `from` on) are a proper prefix of `needle`. */
export function partialMatchAtEnd(buffer: Buffer, from: number, needle: Buffer): number {
  const first = needle[0] as number;
  for (let i = Math.max(from, buffer.length - needle.length + 1); i < buffer.length; i++) {
    if (buffer[i] !== first) continue;
    const length = buffer.length - i;
    if (buffer.compare(needle, 0, length, i, buffer.length) === 0) return length;
  }
  return 0;
}

/**
 * The scrubbing of one stream, a chunk at a time: `push` gives what may pass now (the marker in
 * place of each occurrence), `end` what was held back at the end.
 */
export function scrubbing(value: string, marker = REDACTED) {
  const needle = Buffer.from(value, "utf8");
  const replacement = Buffer.from(marker, "utf8");
  let held: Buffer | null = null;
  return {
    push(chunk: Buffer): Buffer {
      const buffer = held ? Buffer.concat([held, chunk]) : chunk;
      held = null;
      let at = buffer.indexOf(needle);
      if (at === -1 && partialMatchAtEnd(buffer, 0, needle) === 0) return buffer;
      const parts: Buffer[] = [];
      let from = 0;
      while (at !== -1) {
        parts.push(buffer.subarray(from, at), replacement);
        from = at + needle.length;
        at = buffer.indexOf(needle, from);
      }
      const keep = partialMatchAtEnd(buffer, from, needle);
      parts.push(buffer.subarray(from, buffer.length - keep));
      if (keep > 0) held = Buffer.from(buffer.subarray(buffer.length - keep));
      return Buffer.concat(parts);
    },
    end(): Buffer | null {
      const rest = held;
      held = null;
      return rest;
    },
  };
}

/** A header's value with the value replaced by the marker. */
export const scrubText = (text: string, value: string, marker = REDACTED) => text.split(value).join(marker);

// Tokens: a type prefix, 32 random base62 characters and a 6-character CRC32 checksum, like
// `avt_<random><checksum>`, so a scanner can recognise a leaked token without asking us.
// Only a keyed hash is stored (token-hash.ts).
import { randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

export type TokenKind = "api" | "runtime";
const PREFIX: Record<TokenKind, string> = { api: "avt_", runtime: "avr_" };
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 32;
const CHECKSUM_CHARS = 6;

function base62(value: number, width: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 4 * 62: rejecting larger bytes keeps every character equally likely.
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

export function generateToken(kind: TokenKind): string {
  const body = randomBase62(RANDOM_CHARS);
  return `${PREFIX[kind]}${body}${base62(crc32(body), CHECKSUM_CHARS)}`;
}

/** The kind of a well-formed token with a valid checksum, or null. */
export function tokenKind(token: string): TokenKind | null {
  const match = /^(avt|avr)_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/.exec(token);
  if (!match) return null;
  const [, prefix, body, checksum] = match as unknown as [string, string, string, string];
  if (base62(crc32(body), CHECKSUM_CHARS) !== checksum) return null;
  return prefix === "avt" ? "api" : "runtime";
}

// Brokered placeholders (`avb_…`) look like tokens, so that scanners recognise them too, but are
// derived (row-binding.ts): the same agent's runtime token and secret always give the same one.
const PLACEHOLDER = /^avb_([0-9A-Za-z]{32})([0-9A-Za-z]{6})$/;

/** A placeholder from 32 or more bytes of a keyed digest. */
export function placeholderFrom(digest: Buffer): string {
  let body = "";
  for (let i = 0; body.length < RANDOM_CHARS; i++) body += ALPHABET[(digest[i % digest.length] as number) % 62];
  return `avb_${body}${base62(crc32(body), CHECKSUM_CHARS)}`;
}

/** Whether a string is a well-formed placeholder with a valid checksum. */
export function isPlaceholder(text: string): boolean {
  const match = PLACEHOLDER.exec(text);
  return !!match && base62(crc32(match[1] as string), CHECKSUM_CHARS) === match[2];
}

/** Every well-formed placeholder in a text (a header's value), in order. */
export function placeholdersIn(text: string): string[] {
  return (text.match(/avb_[0-9A-Za-z]{38}/g) ?? []).filter(isPlaceholder);
}

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

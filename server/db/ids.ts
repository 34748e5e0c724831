// Row ids: UUID version 7 (RFC 9562), whose first 48 bits are the time in milliseconds. New rows
// then go to the end of the primary key's B-tree instead of a random page of it: with random (v4)
// ids, a 10,000-line import took twice as long once the vault held 250,000 entries.
import { randomFillSync } from "node:crypto";

const HEX = Buffer.from("0123456789abcdef", "latin1");
const RANDOM_BYTES = 10;
// Random bytes come from a pool filled in one call, as randomUUID's do; the text is written into
// one buffer and read out as one string (an import makes 10,000 ids, and assembling each from
// pieces made about 800 bytes of garbage apiece).
const POOL_BYTES = RANDOM_BYTES * 512;
let pool = Buffer.alloc(0);
let poolAt = POOL_BYTES;
const text = Buffer.from("00000000-0000-7000-8000-000000000000", "latin1");
// Where each of the 16 bytes' two hex digits go in the text.
const DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

function put(index: number, byte: number): void {
  const at = DIGITS_AT[index] as number;
  text[at] = HEX[byte >> 4] as number;
  text[at + 1] = HEX[byte & 0x0f] as number;
}

/** A v7 UUID: the time in milliseconds, the version and variant, and 74 random bits. */
export function newId(): string {
  if (poolAt + RANDOM_BYTES > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    poolAt = 0;
  }
  let time = Date.now();
  for (let i = 5; i >= 0; i--) {
    put(i, time % 256);
    time = Math.floor(time / 256);
  }
  const random = pool.subarray(poolAt, poolAt + RANDOM_BYTES);
  poolAt += RANDOM_BYTES;
  put(6, 0x70 | ((random[0] as number) & 0x0f));
  put(7, random[1] as number);
  put(8, 0x80 | ((random[2] as number) & 0x3f));
  for (let i = 9; i < 16; i++) put(i, random[i - 6] as number);
  return text.toString("latin1");
}

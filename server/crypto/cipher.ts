// AES-256-GCM for stored values. A sealed blob is
//   [format 1 byte][key version u32 BE][nonce 12 bytes][ciphertext][tag 16 bytes]
// and its associated data binds it to its user, its entry, what it is (a secret's value, a
// variable's, an OAuth refresh token) and the key version, so a blob copied to another row,
// relabelled with another key version, or whose row was turned from a secret into a variable,
// fails to open. A brokered secret's value is also bound to its upstream (where it may be sent), so
// that a row pointed elsewhere, or turned back into an environment variable, opens nothing.
// Format 1 (before the kind was bound) is still read; new blobs are format 2.
import { createCipheriv, createDecipheriv, type KeyObject, randomFillSync } from "node:crypto";

const FORMAT = 2;
const FORMATS = new Set([1, 2]);
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES;

/**
 * What a blob belongs to. `kind` (SECRET, VARIABLE, OAUTH_REFRESH) is bound from format 2 on;
 * `version` only in an earlier version of an entry's value (kept in its history), so that neither
 * an entry's value nor one of its versions opens in the other's place.
 */
export type Binding = { userId: string; entryId: string; kind: string; version?: number; upstream?: string | null };

export class DecryptionError extends Error {
  override name = "DecryptionError";
  constructor(message = "a stored value failed its integrity check") {
    super(message);
  }
}

// Nonces come from a pool filled in one call: randomBytes per value costs more than the sealing.
const NONCE_POOL_BYTES = NONCE_BYTES * 1024;
let noncePool = Buffer.alloc(0);
let nonceAt = NONCE_POOL_BYTES;

function nextNonce(): Buffer {
  if (nonceAt + NONCE_BYTES > noncePool.length) {
    noncePool = randomFillSync(Buffer.allocUnsafe(NONCE_POOL_BYTES));
    nonceAt = 0;
  }
  const nonce = noncePool.subarray(nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
  return nonce;
}

const AAD_LABELS: Record<number, string> = { 1: "agent-vault/entry-value/v1", 2: "agent-vault/entry-value/v2" };

// Associated data is written into one reused buffer: setAAD() takes its bytes at once, and an
// import seals 10,000 values (a buffer each was garbage to collect while other requests waited).
let scratch = Buffer.allocUnsafe(512);

function putPart(part: string, at: number): number {
  const length = scratch.write(part, at + 4, "utf8");
  scratch.writeUInt32BE(length, at);
  return at + 4 + length;
}

/**
 * Each part as a u32 BE byte length followed by its UTF-8 bytes. The view is of a shared buffer:
 * use it before the next call.
 */
function associatedData(binding: Binding, keyVersion: number, format: number): Buffer {
  const label = AAD_LABELS[format] as string;
  const keyVersionText = String(keyVersion);
  const kind = format >= 2 ? binding.kind : undefined;
  const version = format >= 2 && binding.version !== undefined ? `version:${binding.version}` : undefined;
  const upstream = format >= 2 && binding.upstream ? `upstream:${binding.upstream}` : undefined;
  // At most 3 UTF-8 bytes per UTF-16 unit, and 4 for each part's length.
  const most =
    28 +
    3 *
      (label.length +
        binding.userId.length +
        binding.entryId.length +
        keyVersionText.length +
        (kind?.length ?? 0) +
        (version?.length ?? 0) +
        (upstream?.length ?? 0));
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most);
  let at = putPart(label, 0);
  at = putPart(binding.userId, at);
  at = putPart(binding.entryId, at);
  at = putPart(keyVersionText, at);
  if (kind !== undefined) at = putPart(kind, at);
  if (version !== undefined) at = putPart(version, at);
  if (upstream !== undefined) at = putPart(upstream, at);
  return scratch.subarray(0, at);
}

export function seal(
  key: Buffer | KeyObject,
  keyVersion: number,
  plaintext: string,
  binding: Binding,
): Buffer<ArrayBuffer> {
  const nonce = nextNonce();
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(binding, keyVersion, FORMAT));
  const body = cipher.update(plaintext, "utf8");
  cipher.final(); // GCM is a stream mode: final() yields no bytes, only computes the tag
  const blob = Buffer.allocUnsafe(HEADER_BYTES + body.length + TAG_BYTES);
  blob.writeUInt8(FORMAT, 0);
  blob.writeUInt32BE(keyVersion, 1);
  nonce.copy(blob, 5);
  body.copy(blob, HEADER_BYTES);
  cipher.getAuthTag().copy(blob, HEADER_BYTES + body.length);
  return blob;
}

/** The key version a blob was sealed under, read from its header. */
export function sealedKeyVersion(blob: Uint8Array): number {
  if (blob.length < HEADER_BYTES + TAG_BYTES || !FORMATS.has(blob[0] as number))
    throw new DecryptionError("a stored value is malformed");
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(1);
}

/** Whether a blob is in the current format (older ones are read, and rewrapped on upgrade). */
export const isCurrentFormat = (blob: Uint8Array) => blob[0] === FORMAT;

export function open(key: Buffer | KeyObject, blob: Uint8Array, binding: Binding): string {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const keyVersion = sealedKeyVersion(bytes);
  const nonce = bytes.subarray(5, HEADER_BYTES);
  const body = bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(binding, keyVersion, bytes[0] as number));
  decipher.setAuthTag(tag);
  try {
    // GCM is a stream mode: update() gives every byte, final() none (it checks the tag).
    const plaintext = decipher.update(body);
    decipher.final();
    return plaintext.toString("utf8");
  } catch {
    throw new DecryptionError();
  }
}

// AES-256-GCM for stored values. A sealed blob is
//   [format 1 byte][key version u32 BE][nonce 12 bytes][ciphertext][tag 16 bytes]
// and its associated data binds it to its user, its entry and the key version, so a blob
// copied to another row (or relabelled with another key version) fails to open.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const FORMAT = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + 4 + NONCE_BYTES;

export type Binding = { userId: string; entryId: string };

export class DecryptionError extends Error {
  override name = "DecryptionError";
  constructor(message = "a stored value failed its integrity check") {
    super(message);
  }
}

function lengthPrefixed(parts: string[]): Buffer {
  return Buffer.concat(
    parts.flatMap((part) => {
      const bytes = Buffer.from(part, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      return [length, bytes];
    }),
  );
}

function associatedData(binding: Binding, keyVersion: number): Buffer {
  return lengthPrefixed(["agent-vault/entry-value/v1", binding.userId, binding.entryId, String(keyVersion)]);
}

export function seal(key: Buffer, keyVersion: number, plaintext: string, binding: Binding): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(binding, keyVersion));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(FORMAT, 0);
  header.writeUInt32BE(keyVersion, 1);
  nonce.copy(header, 5);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/** The key version a blob was sealed under, read from its header. */
export function sealedKeyVersion(blob: Uint8Array): number {
  if (blob.length < HEADER_BYTES + TAG_BYTES || blob[0] !== FORMAT)
    throw new DecryptionError("a stored value is malformed");
  return Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(1);
}

export function open(key: Buffer, blob: Uint8Array, binding: Binding): string {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const keyVersion = sealedKeyVersion(bytes);
  const nonce = bytes.subarray(5, HEADER_BYTES);
  const body = bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(associatedData(binding, keyVersion));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError();
  }
}

// A stored value in format 1, made as the code before kind binding made it: the associated data
// is the label, the user, the entry and the key version, each length-prefixed (no kind).
import { createCipheriv, type KeyObject, randomBytes } from "node:crypto";

export function format1Blob(
  key: Buffer | KeyObject,
  keyVersion: number,
  userId: string,
  entryId: string,
  value: string,
): Buffer {
  const nonce = randomBytes(12);
  const parts = ["agent-vault/entry-value/v1", userId, entryId, String(keyVersion)].map((part) => {
    const bytes = Buffer.from(part);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    return Buffer.concat([length, bytes]);
  });
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: 16 });
  cipher.setAAD(Buffer.concat(parts));
  const body = Buffer.concat([cipher.update(value), cipher.final()]);
  const header = Buffer.alloc(5);
  header.writeUInt8(1, 0);
  header.writeUInt32BE(keyVersion, 1);
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
}

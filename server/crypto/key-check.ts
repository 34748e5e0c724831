import { createHmac } from "node:crypto";

/** A value derived from a master key, stored at initialisation, that tells a wrong key at start. */
export function keyCheckValue(masterKey: Buffer): string {
  return createHmac("sha256", masterKey).update("agent-vault/key-check/v1").digest("hex");
}

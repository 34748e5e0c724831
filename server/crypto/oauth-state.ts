// The state of a console's OAuth sign-in, carried by the browser to the issuer and back: sealed
// (AES-256-GCM under a key derived from the vault's token hash key), so that any instance can
// finish a sign-in another started, the PKCE verifier inside stays secret from the issuer and the
// browser, and nobody can forge one. It expires, and names the console session it belongs to.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { hkdfSha256 } from "./hkdf.ts";

const ASSOCIATED = Buffer.from("agent-vault/v1/oauth-state");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class OAuthStateSealer {
  readonly #key: Buffer;

  constructor(tokenHashKey: Buffer) {
    this.#key = hkdfSha256(tokenHashKey, Buffer.alloc(0), "agent-vault/v1/oauth-state-key", 32);
  }

  /** `payload` sealed, valid for `ttlMs`, as base64url text. */
  seal(payload: Record<string, unknown>, ttlMs: number, now = Date.now()): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, nonce);
    cipher.setAAD(ASSOCIATED);
    const plain = Buffer.from(JSON.stringify({ ...payload, expiresAt: now + ttlMs }));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, sealed, cipher.getAuthTag()]).toString("base64url");
  }

  /** The payload, or null when the text was not sealed here, was changed, or has expired. */
  open(text: string, now = Date.now()): Record<string, unknown> | null {
    const blob = Buffer.from(text, "base64url");
    if (blob.length <= NONCE_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, blob.subarray(0, NONCE_BYTES));
      decipher.setAAD(ASSOCIATED);
      decipher.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(blob.subarray(NONCE_BYTES, blob.length - TAG_BYTES)),
        decipher.final(),
      ]);
      const payload = JSON.parse(plain.toString("utf8")) as Record<string, unknown>;
      return typeof payload.expiresAt === "number" && payload.expiresAt > now ? payload : null;
    } catch {
      return null;
    }
  }
}

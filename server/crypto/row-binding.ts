// Row bindings: an HMAC, under a key the database does not hold (derived from the vault's token
// hash key), over what a row grants. A token row says whose it is, what it may do and until
// when; an attachment says that an agent receives an entry. Someone who can write the database
// could otherwise give a stolen token every scope, revive a revoked one, move a token to another
// user or agent, or attach a secret to an agent whose runtime token they hold. A row whose
// binding does not match grants nothing.
import { createHmac, timingSafeEqual } from "node:crypto";
import { hkdfSha256 } from "./hkdf.ts";

export type ApiTokenGrant = {
  id: string;
  userId: string;
  scopes: string;
  expiresAt: Date | null;
  revoked: boolean;
};

export class RowBinder {
  readonly #key: Buffer;

  constructor(tokenHashKey: Buffer) {
    this.#key = hkdfSha256(tokenHashKey, Buffer.alloc(0), "agent-vault/v1/row-binding", 32);
  }

  #mac(...parts: string[]): string {
    // Lengths first: no two different part lists give the same message.
    const message = parts.map((part) => `${Buffer.byteLength(part)}:${part}`).join("|");
    return createHmac("sha256", this.#key).update(message, "utf8").digest("base64url");
  }

  apiToken(grant: ApiTokenGrant): string {
    const expires = grant.expiresAt ? String(grant.expiresAt.getTime()) : "never";
    return this.#mac("api-token", grant.id, grant.userId, grant.scopes, expires, grant.revoked ? "revoked" : "live");
  }

  runtimeToken(id: string, agentId: string): string {
    return this.#mac("runtime-token", id, agentId);
  }

  attachment(agentId: string, entryId: string): string {
    return this.#mac("attachment", agentId, entryId);
  }

  /** Whether a stored binding is the expected one (constant time). */
  static matches(stored: unknown, expected: string): boolean {
    if (typeof stored !== "string" || stored.length !== expected.length) return false;
    return timingSafeEqual(Buffer.from(stored), Buffer.from(expected));
  }
}

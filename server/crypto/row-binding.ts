// Row bindings: an HMAC, under a key the database does not hold (derived from the vault's token
// hash key), over what a row grants. A token row says whose it is, what it may do and until
// when; an attachment says that an agent receives an entry. Someone who can write the database
// could otherwise give a stolen token every scope, revive a revoked one, move a token to another
// user or agent, attach a secret to an agent whose runtime token they hold, or point a console
// session at another user's token. A row whose binding does not match grants nothing.
import { createHmac, timingSafeEqual } from "node:crypto";
import { hkdfSha256 } from "./hkdf.ts";

export type ApiTokenGrant = {
  id: string;
  userId: string;
  scopes: string;
  expiresAt: Date | null;
  revoked: boolean;
};

/** A console session: its secret's hash, and the token (of that user) it acts as. */
export type ConsoleSessionGrant = { id: string; secretHash: string; tokenId: string; userId: string };

/** Rows verified once need not be again while they stay the same: the hot paths read many. */
const VERIFIED_LIMIT = 100_000;

export class RowBinder {
  readonly #key: Buffer;
  // Each key holds everything the HMAC covers and the stored binding: a row changed in any of
  // them is a different key, verified afresh.
  readonly #verified = new Set<string>();

  constructor(tokenHashKey: Buffer) {
    this.#key = hkdfSha256(tokenHashKey, Buffer.alloc(0), "agent-vault/v1/row-binding", 32);
  }

  #mac(parts: readonly string[]): string {
    // Lengths first: no two different part lists give the same message.
    const message = parts.map((part) => `${Buffer.byteLength(part)}:${part}`).join("|");
    return createHmac("sha256", this.#key).update(message, "utf8").digest("base64url");
  }

  #verify(parts: readonly string[], stored: unknown): boolean {
    if (typeof stored !== "string") return false;
    const key = `${parts.join("\u0000")}\u0000${stored}`;
    if (this.#verified.has(key)) return true;
    const expected = this.#mac(parts);
    if (stored.length !== expected.length || !timingSafeEqual(Buffer.from(stored), Buffer.from(expected))) return false;
    if (this.#verified.size >= VERIFIED_LIMIT) this.#verified.delete(this.#verified.values().next().value as string);
    this.#verified.add(key);
    return true;
  }

  static #apiParts(grant: ApiTokenGrant): string[] {
    const expires = grant.expiresAt ? String(grant.expiresAt.getTime()) : "never";
    return ["api-token", grant.id, grant.userId, grant.scopes, expires, grant.revoked ? "revoked" : "live"];
  }

  apiToken(grant: ApiTokenGrant): string {
    return this.#mac(RowBinder.#apiParts(grant));
  }

  runtimeToken(id: string, agentId: string): string {
    return this.#mac(["runtime-token", id, agentId]);
  }

  attachment(agentId: string, entryId: string): string {
    return this.#mac(["attachment", agentId, entryId]);
  }

  /** The digest a brokered placeholder is made from: one per runtime token and secret. */
  placeholderDigest(runtimeTokenId: string, entryId: string): Buffer {
    return createHmac("sha256", this.#key)
      .update(`placeholder|${runtimeTokenId.length}:${runtimeTokenId}|${entryId.length}:${entryId}`, "utf8")
      .digest();
  }

  /** A placeholder row: its hash stands for this runtime token's agent and this secret. */
  placeholder(tokenHash: string, runtimeTokenId: string, agentId: string, entryId: string): string {
    return this.#mac(["broker-placeholder", tokenHash, runtimeTokenId, agentId, entryId]);
  }

  verifyPlaceholder(
    row: { tokenHash: string; runtimeTokenId: string; agentId: string; entryId: string },
    stored: unknown,
  ): boolean {
    return this.#verify(["broker-placeholder", row.tokenHash, row.runtimeTokenId, row.agentId, row.entryId], stored);
  }

  consoleSession(session: ConsoleSessionGrant): string {
    return this.#mac(RowBinder.#sessionParts(session));
  }

  static #sessionParts(session: ConsoleSessionGrant): string[] {
    return ["console-session", session.id, session.secretHash, session.tokenId, session.userId];
  }

  /** Whether a console session row still stands for the token and user it was made for. */
  verifyConsoleSession(session: ConsoleSessionGrant, stored: unknown): boolean {
    return this.#verify(RowBinder.#sessionParts(session), stored);
  }

  /** Whether a stored API token row's binding matches what the row grants. */
  verifyApiToken(grant: ApiTokenGrant, stored: unknown): boolean {
    return this.#verify(RowBinder.#apiParts(grant), stored);
  }

  verifyRuntimeToken(id: string, agentId: string, stored: unknown): boolean {
    return this.#verify(["runtime-token", id, agentId], stored);
  }

  verifyAttachment(agentId: string, entryId: string, stored: unknown): boolean {
    return this.#verify(["attachment", agentId, entryId], stored);
  }
}

// Console sessions: an API token, pasted once into the console, exchanged for a random secret held
// in an HttpOnly cookie. Only the secret's keyed hash is stored; the session is its token's, and
// ends when it is signed out, when its token stops working, or after 12 hours unused.
import { randomBytes } from "node:crypto";
import type { Authenticator, SessionViewer } from "../../auth/authenticate.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { TokenHasher } from "../../crypto/token-hash.ts";
import type { Db } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import { createSession, deleteSessionBySecretHash, touchSession } from "./session.dal.ts";

/** lastSeenAt moves on at most this often: a session's requests do not each write. */
const TOUCH_EVERY_MS = 60_000;

export type SessionService = ReturnType<typeof sessionService>;

export function sessionService(deps: { db: Db; hasher: TokenHasher; binder: RowBinder; authenticate: Authenticator }) {
  const { db, hasher, binder, authenticate } = deps;
  return {
    /** A new session for the token's viewer: the secret for its cookie. */
    async start(viewer: Viewer): Promise<string> {
      const secret = `avs_${randomBytes(32).toString("base64url")}`;
      const grant = { id: newId(), secretHash: hasher.hash(secret), tokenId: viewer.tokenId, userId: viewer.userId };
      await createSession(db, {
        id: grant.id,
        secretHash: grant.secretHash,
        tokenId: grant.tokenId,
        binding: binder.consoleSession(grant),
      });
      return secret;
    },

    /** The viewer of a session's secret; moves its idle clock on. */
    async viewer(secret: string, address: string): Promise<SessionViewer> {
      const viewer = await authenticate.session(secret, address);
      if (Date.now() - viewer.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
        await touchSession(db, viewer.sessionId);
      }
      return viewer;
    },

    /** Ends the session of this secret, if there is one. */
    async end(secret: string): Promise<void> {
      await deleteSessionBySecretHash(db, hasher.hash(secret));
    },
  };
}

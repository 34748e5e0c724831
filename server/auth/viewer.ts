// Who is asking: the principal a request authenticated as. Services take it as an argument.
import type { TokenScope } from "./scopes.ts";

/** A user's API token: the user API (GraphQL over HTTP and WebSocket). */
export type Viewer = {
  userId: string;
  tokenId: string;
  /** The token's name, as its user gave it: the actor in history and activity. */
  tokenName: string;
  /** The user's HKDF salt: with the master key, it gives the user's keys. */
  keySalt: Uint8Array;
  /** The client's address, for rate limits. */
  address: string;
  /** What the token may do. */
  scopes: ReadonlySet<TokenScope>;
  /** When the token stops working, if it expires. */
  expiresAt: Date | null;
  /** Set when the request came through a console session (which ends before its token can). */
  sessionId?: string;
  /**
   * Set when the viewer is this instance's verified token, not read again for this request: the
   * request's first write confirms it in its own statement, or it is read again before the answer
   * goes (auth/confirmation.ts).
   */
  unconfirmed?: Confirmation;
};

/** What a write checks of a token it was not read again for: still its row, as it was verified. */
export type Confirmation = {
  /** The token's keyed hash. */
  tokenHash: string;
  /** The row's binding when it was verified: it covers the user, scopes, expiry and revocation. */
  binding: string;
  /** The row's other columns then, as stored: its name (the actor its events name), user, scopes and expiry. */
  tokenName: string;
  userId: string;
  scopes: string;
  expiresAt: unknown;
  /** Set once a statement that wrote for the request found the token still so. */
  confirmed: boolean;
};

/** What an open stream of this viewer re-checks: its console session, or else its token. */
export const streamKey = (viewer: Viewer): string =>
  viewer.sessionId ? `session:${viewer.sessionId}` : viewer.tokenId;

/** An agent's runtime token: the runtime channel, for that agent's environment only. */
export type RuntimeViewer = {
  userId: string;
  tokenId: string;
  keySalt: Uint8Array;
  address: string;
  agent: { id: string; name: string; runningEnv: string; lastRestartedAt: Date | null };
};

/** The owner of stored values: what their keys are derived from. */
export type KeyOwner = Pick<Viewer, "userId" | "keySalt">;

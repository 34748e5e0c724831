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

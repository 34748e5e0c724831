// Renewing OAuth tokens (OpenAI through a Codex subscription): asked for (refreshAiProvider), or by
// the vault itself before a token expires (oauth-refresher.ts), by the one instance that takes the
// lease on that expiry. The new token is the secret's next version; a rotated refresh token
// replaces the old one, in one transaction.
import type { Viewer } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db } from "../../db/database.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import { type ActivityService, type Doer, doerOf } from "../activity/activity.service.ts";
import { systemActor } from "../activity/actor.ts";
import { NotFoundError, ProviderRequestError, ValidationError } from "../common/errors.ts";
import type { EntryService } from "../entry/entry.service.ts";
import { keySaltOf } from "../user/user.dal.ts";
import { assertSameIssuer, assertUsableIssuer, type OAuthIssuer } from "./oauth-issuer.ts";
import { refreshWithIssuer } from "./oauth-refresh.ts";
import { releaseRefreshLease, takeRefreshLease, updateConnection } from "./provider.dal.ts";
import { type AiProviderCard, announceStatus, cardOf } from "./provider-cards.ts";
import { retryDelayMs } from "./provider-status.ts";
import type { Provider } from "./providers.ts";
import { openRefreshToken, sealRefreshToken } from "./refresh-token.ts";

/** How long an instance may take over one refresh before another may try. */
const REFRESH_LEASE_MS = 60_000;
const MAX_ERROR_LENGTH = 300;

/** What the issuer said when it did not renew a token: refused (only connecting again helps) or not. */
function refreshFailure(error: unknown): { refused: boolean; message: string } {
  const failure = error as { error?: unknown; error_description?: unknown; code?: unknown };
  const code = typeof failure?.error === "string" ? failure.error : null;
  const description = typeof failure?.error_description === "string" ? failure.error_description : null;
  if (!code) return { refused: false, message: "The issuer could not be reached or gave no answer" };
  const message = `The issuer refused to renew the token (${code}${description ? `: ${description}` : ""})`;
  return {
    refused: code === "invalid_grant" || code === "invalid_client" || code === "unauthorized_client",
    message: message.slice(0, MAX_ERROR_LENGTH),
  };
}

export type ProviderRenewal = ReturnType<typeof providerRenewal>;

export function providerRenewal(deps: {
  db: Db;
  keyring: UserKeyring;
  events: VaultEvents;
  entries: EntryService;
  uow: UnitsOfWork;
  activity: ActivityService;
  oauthIssuer: OAuthIssuer;
}) {
  const { db, keyring, events, entries, uow, activity } = deps;

  /**
   * Renews the connection's OAuth token: the new token becomes the secret's next version and a
   * rotated refresh token replaces the old one, in one transaction. A refusal of the refresh
   * token (invalid_grant) marks the card NEEDS_REAUTH and stops retries; another failure is
   * retried later, waiting longer each time.
   */
  async function renew(doer: Doer, provider: Provider): Promise<AiProviderCard> {
    const found = await cardOf(db, doer.userId, provider);
    if (!found.secret) throw new NotFoundError("connected provider", provider);
    const secretId = found.secret.id;
    const connection = found.connection;
    if (found.method !== "OAUTH" || !connection?.refreshCiphertext || !connection.clientId) {
      throw new ValidationError("This provider was not connected by OAuth with a refresh token", "provider");
    }
    // Connected with another issuer (before the operator's issuer was the only one): sign in again.
    assertSameIssuer(deps.oauthIssuer, connection.issuer);
    assertUsableIssuer(deps.oauthIssuer);
    const refreshToken = openRefreshToken(keyring, doer, secretId, connection.refreshCiphertext);
    let tokens: Awaited<ReturnType<typeof refreshWithIssuer>>;
    try {
      tokens = await refreshWithIssuer(deps.oauthIssuer, connection.clientId, refreshToken);
    } catch (error) {
      const failure = refreshFailure(error);
      const failures = connection.refreshFailures + 1;
      await updateConnection(db, connection.id, {
        refreshError: failure.message,
        needsReauth: failure.refused,
        refreshFailures: failures,
        nextRefreshAt: failure.refused ? null : new Date(Date.now() + retryDelayMs(failures)),
        refreshLeaseUntil: null,
      });
      // Later failures in a row change nothing a subscriber would see.
      if (failure.refused || failures === 1) {
        announceStatus(events, doer.userId, provider, await cardOf(db, doer.userId, provider));
      }
      throw new ProviderRequestError(
        `${failure.message}; ${failure.refused ? "connect again" : "the vault will try again"}`,
      );
    }
    const now = new Date();
    const [written, renewed] = await uow.run(async (work) => {
      const tx = work.db;
      const secret = await entries.updateIn(work, doer, "SECRET", { id: secretId, value: tokens.accessToken });
      await activity.record(work, doer, {
        action: "PROVIDER_REFRESHED",
        entry: { id: secret.entry.id, name: secret.entry.name },
        details: {
          provider,
          version: secret.entry.version,
          refreshTokenRotated: !!tokens.refreshToken,
          automatic: doer.actor.kind === "SYSTEM",
        },
      });
      await updateConnection(tx, connection.id, {
        expiresAt: tokens.expiresIn ? new Date(now.getTime() + tokens.expiresIn * 1000) : null,
        lastRefreshedAt: now,
        refreshError: null,
        refreshFailures: 0,
        nextRefreshAt: null,
        needsReauth: false,
        refreshLeaseUntil: null,
        ...(tokens.refreshToken
          ? { refreshCiphertext: sealRefreshToken(keyring, doer, secretId, tokens.refreshToken) }
          : {}),
      });
      return [secret, await cardOf(tx, doer.userId, provider)] as const;
    });
    events.restartNeeded(doer.userId, written.notices);
    events.providerStatusChanged(doer.userId, {
      provider,
      status: renewed.status,
      lastError: null,
      expiresAt: renewed.expiresAt?.toISOString() ?? null,
      lastRefreshedAt: now.toISOString(),
    });
    return renewed;
  }

  return {
    /** Renews an OAuth token with its refresh token; agents using it then need a restart. */
    async refresh(viewer: Viewer, input: { provider: Provider }): Promise<AiProviderCard> {
      return renew(doerOf(viewer), input.provider);
    },

    /**
     * The vault's own renewal of a connection that is due: only by the instance that takes the
     * lease on this expiry (one refresh per expiry, however many instances share the database).
     * Whether it took the lease.
     */
    async refreshDue(due: { id: string; userId: string; provider: Provider; expiresAt: Date }): Promise<boolean> {
      const now = new Date();
      const leased = await takeRefreshLease(db, due.id, due.expiresAt, now, new Date(now.getTime() + REFRESH_LEASE_MS));
      if (!leased) return false;
      const doer: Doer = {
        userId: due.userId,
        keySalt: await keySaltOf(db, due.userId),
        address: null,
        actor: systemActor("automatic OAuth refresh"),
      };
      try {
        await renew(doer, due.provider);
      } catch (error) {
        // A refusal or failure was recorded on the card; anything else frees the lease for a retry.
        if (!(error instanceof ProviderRequestError)) {
          await releaseRefreshLease(db, due.id);
          throw error;
        }
      }
      return true;
    },
  };
}

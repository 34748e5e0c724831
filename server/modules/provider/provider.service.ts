// AI provider cards: a quick way to connect an LLM provider's key. Connecting writes an ordinary
// secret (listed, attachable, restart rules apply) and the connection row that records how, in
// one transaction.
import type { Viewer } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, Tx } from "../../db/database.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import type { UnitsOfWork, Work } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import { type ActivityService, type Doer, doerOf } from "../activity/activity.service.ts";
import { systemActor } from "../activity/actor.ts";
import { NameTakenError, NotFoundError, ProviderRequestError, ValidationError } from "../common/errors.ts";
import { entryByNameKey, secretsByNameKeys } from "../entry/entry.dal.ts";
import { nameKey, valueProblem } from "../entry/entry.rules.ts";
import type { EntryRow, EntryService, Written } from "../entry/entry.service.ts";
import { openValue } from "../entry/entry-value.ts";
import { keySaltOf } from "../user/user.dal.ts";
import { assertSameIssuer, assertUsableIssuer, type OAuthIssuer } from "./oauth-issuer.ts";
import { refreshWithIssuer } from "./oauth-refresh.ts";
import {
  connectionsOf,
  releaseRefreshLease,
  saveConnection,
  takeRefreshLease,
  updateConnection,
} from "./provider.dal.ts";
import { type ProviderStatus, providerStatus, retryDelayMs } from "./provider-status.ts";
import { type ConnectMethod, DEFINITIONS, PROVIDERS, type Provider, type ProviderBaseUrls } from "./providers.ts";
import { openRefreshToken, sealRefreshToken } from "./refresh-token.ts";

export type ConnectInput = {
  provider: Provider;
  credential: string;
  method?: ConnectMethod | null;
  refreshToken?: string | null;
  expiresIn?: number | null;
  issuer?: string | null;
  clientId?: string | null;
};

const CHECK_TIMEOUT_MS = 10_000;
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

type ConnectionRow = Awaited<ReturnType<Db["providerConnection"]["findUniqueOrThrow"]>>;

export type AiProviderCard = {
  provider: Provider;
  envVar: string;
  connected: boolean;
  method: ConnectMethod | null;
  secret: EntryRow | null;
  connectedAt: Date | null;
  expiresAt: Date | null;
  lastCheckedAt: Date | null;
  keyAccepted: boolean | null;
  lastCheckError: string | null;
  status: ProviderStatus;
  lastRefreshedAt: Date | null;
  /** The issuer's answer to the last failed refresh (never a token). */
  lastError: string | null;
  connection: ConnectionRow | null;
};

function allVariableKeys(): string[] {
  return PROVIDERS.flatMap((provider) => {
    const definition = DEFINITIONS[provider];
    return [definition.apiKeyVar, definition.oauthVar].filter((name): name is string => !!name).map(nameKey);
  });
}

function cardFor(provider: Provider, entries: EntryRow[], connections: ConnectionRow[]): AiProviderCard {
  const definition = DEFINITIONS[provider];
  const byName = (name: string | undefined) => (name ? entries.find((e) => e.nameKey === nameKey(name)) : undefined);
  const connection = connections.find((c) => c.provider === provider) ?? null;
  const connected = connection ? entries.find((e) => e.id === connection.entryId) : undefined;
  const entry = connected ?? byName(definition.apiKeyVar) ?? byName(definition.oauthVar);
  const record = connected ? connection : null;
  const method: ConnectMethod | null = record
    ? record.method
    : entry
      ? entry.nameKey === nameKey(definition.oauthVar ?? "")
        ? "OAUTH"
        : "API_KEY"
      : null;
  return {
    provider,
    envVar: entry?.name ?? definition.apiKeyVar,
    connected: !!entry,
    method,
    secret: entry ?? null,
    connectedAt: record?.connectedAt ?? entry?.createdAt ?? null,
    expiresAt: record?.expiresAt ?? null,
    lastCheckedAt: record?.lastCheckedAt ?? null,
    keyAccepted: record?.lastCheckAccepted ?? null,
    lastCheckError: record?.lastCheckError ?? null,
    status: providerStatus(!!entry, record),
    lastRefreshedAt: record?.lastRefreshedAt ?? null,
    lastError: record?.refreshError ?? null,
    connection: record,
  };
}

function assertConnectable(input: ConnectInput): ConnectMethod {
  const definition = DEFINITIONS[input.provider];
  const method = input.method ?? "API_KEY";
  if (method === "OAUTH" && !definition.oauthVar) {
    throw new ValidationError("OAuth is only for OpenAI (a Codex subscription); use an API key", "method");
  }
  const problem =
    valueProblem(input.credential, "SECRET") ??
    (method === "API_KEY" ? definition.keyShapeProblem(input.credential) : null);
  if (problem) throw new ValidationError(problem, "credential");
  if (input.expiresIn != null && (!Number.isInteger(input.expiresIn) || input.expiresIn <= 0)) {
    throw new ValidationError("expiresIn is a positive number of seconds", "expiresIn");
  }
  return method;
}

export type ProviderService = ReturnType<typeof providerService>;

export function providerService(deps: {
  db: Db;
  keyring: UserKeyring;
  events: VaultEvents;
  entries: EntryService;
  uow: UnitsOfWork;
  activity: ActivityService;
  /** Where checkAiProvider reaches each provider (configurable for tests and proxies). */
  providerBaseUrls: ProviderBaseUrls;
  /** The OAuth issuer the operator configured: the only one the vault refreshes tokens with. */
  oauthIssuer: OAuthIssuer;
}) {
  const { db, keyring, events, entries, uow, activity } = deps;

  async function loadCards(tx: Tx, userId: string): Promise<Map<Provider, AiProviderCard>> {
    const [secrets, connections] = await Promise.all([
      secretsByNameKeys(tx, userId, allVariableKeys()),
      connectionsOf(tx, userId),
    ]);
    return new Map(PROVIDERS.map((provider) => [provider, cardFor(provider, secrets, connections)]));
  }

  async function card(tx: Tx, userId: string, provider: Provider): Promise<AiProviderCard> {
    return (await loadCards(tx, userId)).get(provider) as AiProviderCard;
  }

  async function connectedCard(viewer: Viewer, provider: Provider) {
    const found = await card(db, viewer.userId, provider);
    if (!found.secret) throw new NotFoundError("connected provider", provider);
    return found as AiProviderCard & { secret: EntryRow };
  }

  /** Writes the provider's secret (a new one, or a new version) in the caller's transaction. */
  async function writeSecret(work: Work, doer: Doer, name: string, value: string): Promise<Written> {
    const existing = await entryByNameKey(work.db, doer.userId, nameKey(name));
    if (existing && existing.kind !== "SECRET") throw new NameTakenError(existing.name);
    return existing
      ? entries.updateIn(work, doer, "SECRET", { id: existing.id, value })
      : entries.addIn(work, doer, "SECRET", { name, value });
  }

  /** Tells the user's subscribers the card's status as it is now. */
  async function statusChanged(userId: string, provider: Provider) {
    announce(userId, provider, await card(db, userId, provider));
  }

  function announce(userId: string, provider: Provider, after: AiProviderCard) {
    events.providerStatusChanged(userId, {
      provider,
      status: after.status,
      lastError: after.lastError,
      expiresAt: after.expiresAt?.toISOString() ?? null,
      lastRefreshedAt: after.lastRefreshedAt?.toISOString() ?? null,
    });
  }

  /**
   * Renews the connection's OAuth token: the new token becomes the secret's next version and a
   * rotated refresh token replaces the old one, in one transaction. A refusal of the refresh
   * token (invalid_grant) marks the card NEEDS_REAUTH and stops retries; another failure is
   * retried later, waiting longer each time.
   */
  async function renew(doer: Doer, provider: Provider): Promise<AiProviderCard> {
    const found = await card(db, doer.userId, provider);
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
      if (failure.refused || failures === 1) await statusChanged(doer.userId, provider);
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
      return [secret, await card(tx, doer.userId, provider)] as const;
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
    /** Status changes of the viewer's cards, as they happen. */
    /** Changes of the viewer's provider cards' status. */
    statusChanges: (): FeedSubscription<"providers"> => ({ feed: "providers", accept: () => true }),

    async cards(viewer: Viewer): Promise<AiProviderCard[]> {
      return [...(await loadCards(db, viewer.userId)).values()];
    },

    async connect(viewer: Viewer, input: ConnectInput): Promise<AiProviderCard> {
      const method = assertConnectable(input);
      if (method === "OAUTH") assertSameIssuer(deps.oauthIssuer, input.issuer);
      const definition = DEFINITIONS[input.provider];
      const envVar = (method === "OAUTH" ? definition.oauthVar : definition.apiKeyVar) as string;
      const userId = viewer.userId;
      let written: Written;
      let connected: AiProviderCard;
      try {
        [written, connected] = await uow.run(async (work) => {
          const tx = work.db;
          const doer = doerOf(viewer);
          const secret = await writeSecret(work, doer, envVar, input.credential);
          const now = new Date();
          const details = {
            method,
            entryId: secret.entry.id,
            connectedAt: now,
            expiresAt: input.expiresIn ? new Date(now.getTime() + input.expiresIn * 1000) : null,
            refreshCiphertext: input.refreshToken
              ? sealRefreshToken(keyring, viewer, secret.entry.id, input.refreshToken)
              : null,
            issuer: method === "OAUTH" ? deps.oauthIssuer.url : null,
            clientId: method === "OAUTH" ? (input.clientId ?? null) : null,
            lastCheckedAt: null,
            lastCheckAccepted: null,
            lastCheckError: null,
            lastRefreshedAt: null,
            refreshError: null,
            refreshFailures: 0,
            nextRefreshAt: null,
            needsReauth: false,
            refreshLeaseUntil: null,
          };
          await saveConnection(tx, userId, input.provider, details, details);
          await activity.record(work, doer, {
            action: "PROVIDER_CONNECTED",
            entry: { id: secret.entry.id, name: secret.entry.name },
            details: { provider: input.provider, method },
          });
          return [secret, await card(tx, userId, input.provider)] as const;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTakenError(envVar);
        throw error;
      }
      events.restartNeeded(userId, written.notices);
      // Consoles show the card connected, whoever connected it (the CLI's OAuth sign-in).
      announce(userId, input.provider, connected);
      return connected;
    },

    async disconnect(viewer: Viewer, input: { provider: Provider }): Promise<AiProviderCard> {
      const found = await connectedCard(viewer, input.provider);
      await entries.delete(viewer, { id: found.secret.id }, [
        {
          action: "PROVIDER_DISCONNECTED",
          entry: { id: found.secret.id, name: found.secret.name },
          details: { provider: input.provider },
        },
      ]);
      const after = await card(db, viewer.userId, input.provider);
      announce(viewer.userId, input.provider, after);
      return after;
    },

    /** Asks the provider whether the connected key works, and records the answer on the card. */
    async check(viewer: Viewer, input: { provider: Provider }): Promise<AiProviderCard> {
      const found = await connectedCard(viewer, input.provider);
      const request = DEFINITIONS[input.provider].checkRequest(
        deps.providerBaseUrls[input.provider],
        openValue(keyring, viewer, found.secret),
      );
      let result: { accepted: boolean | null; error: string | null };
      try {
        const response = await fetch(request.url, {
          headers: request.headers,
          signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
        });
        await response.body?.cancel();
        if (response.ok) result = { accepted: true, error: null };
        else if (response.status === 401 || response.status === 403) result = { accepted: false, error: null };
        else result = { accepted: null, error: `The provider answered HTTP ${response.status}` };
      } catch {
        result = { accepted: null, error: "The provider could not be reached" };
      }
      const data = { lastCheckedAt: new Date(), lastCheckAccepted: result.accepted, lastCheckError: result.error };
      await saveConnection(
        db,
        viewer.userId,
        found.provider,
        {
          method: found.method ?? "API_KEY",
          entryId: found.secret.id,
          connectedAt: found.connectedAt ?? new Date(),
          ...data,
        },
        data,
      );
      return card(db, viewer.userId, input.provider);
    },

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

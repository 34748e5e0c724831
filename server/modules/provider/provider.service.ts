// AI provider cards: a quick way to connect an LLM provider's key. Connecting writes an ordinary
// secret (listed, attachable, restart rules apply) and the connection row that records how, in
// one transaction.
import type { Viewer } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db } from "../../db/database.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import type { UnitsOfWork, Work } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import { type ActivityService, type Doer, doerOf } from "../activity/activity.service.ts";
import type { Delivery } from "../broker/delivery.ts";
import { EntryInUseError, NameTakenError, NotFoundError, ValidationError } from "../common/errors.ts";
import { entryByNameKey } from "../entry/entry.dal.ts";
import { nameKey, valueProblem } from "../entry/entry.rules.ts";
import type { EntryRow, EntryService, Written } from "../entry/entry.service.ts";
import { openValue } from "../entry/entry-value.ts";
import { assertSameIssuer, type OAuthIssuer } from "./oauth-issuer.ts";
import { saveConnection } from "./provider.dal.ts";
import { type AiProviderCard, announceStatus, cardOf, loadCards } from "./provider-cards.ts";
import { providerRenewal } from "./provider-renewal.ts";
import { type ConnectMethod, DEFINITIONS, type Provider, type ProviderBaseUrls } from "./providers.ts";

export type { AiProviderCard };

import { sealRefreshToken } from "./refresh-token.ts";

export type ConnectInput = {
  provider: Provider;
  credential: string;
  method?: ConnectMethod | null;
  refreshToken?: string | null;
  expiresIn?: number | null;
  issuer?: string | null;
  clientId?: string | null;
  /** BROKERED: the key stays in the vault, and the agents' requests take it to the provider. */
  delivery?: Delivery | null;
};

const CHECK_TIMEOUT_MS = 10_000;
/** How long an instance may take over one refresh before another may try. */
const _REFRESH_LEASE_MS = 60_000;
const _MAX_ERROR_LENGTH = 300;

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
  const renewal = providerRenewal(deps);

  async function connectedCard(viewer: Viewer, provider: Provider) {
    const found = await cardOf(db, viewer.userId, provider);
    if (!found.secret) throw new NotFoundError("connected provider", provider);
    return found as AiProviderCard & { secret: EntryRow };
  }

  /** Writes the provider's secret (a new one, or a new version) in the caller's transaction. */
  async function writeSecret(
    work: Work,
    doer: Doer,
    name: string,
    value: string,
    provider: Provider,
    delivery: Delivery | null | undefined,
  ): Promise<Written> {
    const existing = await entryByNameKey(work.db, doer.userId, nameKey(name));
    if (existing && existing.kind !== "SECRET") throw new NameTakenError(existing.name);
    return existing
      ? entries.updateIn(work, doer, "SECRET", { id: existing.id, value, provider, delivery })
      : entries.addIn(work, doer, "SECRET", { name, value, provider, delivery });
  }

  return {
    /** Changes of the viewer's provider cards' status, as they happen. */
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
          const secret = await writeSecret(work, doer, envVar, input.credential, input.provider, input.delivery);
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
          return [secret, await cardOf(tx, userId, input.provider)] as const;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTakenError(envVar);
        throw error;
      }
      events.restartNeeded(userId, written.notices);
      // Consoles show the card connected, whoever connected it (the CLI's OAuth sign-in).
      announceStatus(events, userId, input.provider, connected);
      return connected;
    },

    async disconnect(viewer: Viewer, input: { provider: Provider }): Promise<AiProviderCard> {
      const found = await connectedCard(viewer, input.provider);
      await entries
        .delete(viewer, { id: found.secret.id }, [
          {
            action: "PROVIDER_DISCONNECTED",
            entry: { id: found.secret.id, name: found.secret.name },
            details: { provider: input.provider },
          },
        ])
        .catch((error) => {
          if (!(error instanceof EntryInUseError)) throw error;
          const doing = `disconnecting ${DEFINITIONS[input.provider].label}`;
          throw new EntryInUseError(found.secret.name, error.agents, doing);
        });
      const after = await cardOf(db, viewer.userId, input.provider);
      announceStatus(events, viewer.userId, input.provider, after);
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
      return cardOf(db, viewer.userId, input.provider);
    },

    /** Renews an OAuth token with its refresh token; agents using it then need a restart. */
    refresh: renewal.refresh,
    /** The vault's own renewal of a connection that is due (oauth-refresher.ts). */
    refreshDue: renewal.refreshDue,
  };
}

// The AI provider cards: what a user sees of each provider, made from the provider's secret (an
// ordinary entry, found by its variable's name) and the connection row that records how it was
// connected, if one does.
import type { Db, Tx } from "../../db/database.ts";
import type { VaultEvents } from "../../events/events.ts";
import { secretsByNameKeys } from "../entry/entry.dal.ts";
import { nameKey } from "../entry/entry.rules.ts";
import type { EntryRow } from "../entry/entry.service.ts";
import { connectionsOf } from "./provider.dal.ts";
import { type ProviderStatus, providerStatus } from "./provider-status.ts";
import { type ConnectMethod, DEFINITIONS, PROVIDERS, type Provider } from "./providers.ts";

export type ConnectionRow = Awaited<ReturnType<Db["providerConnection"]["findUniqueOrThrow"]>>;

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

/** Every provider's card for the user. */
export async function loadCards(tx: Db | Tx, userId: string): Promise<Map<Provider, AiProviderCard>> {
  const [secrets, connections] = await Promise.all([
    secretsByNameKeys(tx, userId, allVariableKeys()),
    connectionsOf(tx, userId),
  ]);
  return new Map(PROVIDERS.map((provider) => [provider, cardFor(provider, secrets, connections)]));
}

/** One provider's card for the user. */
export async function cardOf(tx: Db | Tx, userId: string, provider: Provider): Promise<AiProviderCard> {
  return (await loadCards(tx, userId)).get(provider) as AiProviderCard;
}

/** Tells the user's subscribers a card's status as it is now. */
export function announceStatus(events: VaultEvents, userId: string, provider: Provider, card: AiProviderCard) {
  events.providerStatusChanged(userId, {
    provider,
    status: card.status,
    lastError: card.lastError,
    expiresAt: card.expiresAt?.toISOString() ?? null,
    lastRefreshedAt: card.lastRefreshedAt?.toISOString() ?? null,
  });
}

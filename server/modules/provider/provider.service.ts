// AI provider cards: a quick way to connect an LLM provider's key. Connecting writes an ordinary
// secret (listed, attachable, restart rules apply); the connection row only records how.
import type { Context } from "../../context.ts";
import { NameTakenError, NotFoundError, ProviderRequestError, ValidationError } from "../common/errors.ts";
import { nameKey, valueProblem } from "../entry/entry.rules.ts";
import { addEntry, deleteEntry, updateEntry } from "../entry/entry.service.ts";
import { openValue, sealValue } from "../entry/entry-value.ts";
import { refreshWithIssuer } from "./oauth-refresh.ts";
import { type ConnectMethod, DEFINITIONS, PROVIDERS, type Provider } from "./providers.ts";

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

type EntryRow = Awaited<ReturnType<Context["db"]["entry"]["findUniqueOrThrow"]>>;
type ConnectionRow = Awaited<ReturnType<Context["db"]["providerConnection"]["findUniqueOrThrow"]>>;

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
  connection: ConnectionRow | null;
};

/** What an OAuth refresh token's ciphertext is bound to: its secret's entry, in a namespace of its own. */
export const refreshBinding = (entryId: string) => `oauth-refresh:${entryId}`;

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
    ? (record.method as ConnectMethod)
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
    connection: record,
  };
}

async function loadCards(ctx: Context): Promise<Map<Provider, AiProviderCard>> {
  const userId = ctx.viewer.userId;
  const [entries, connections] = await Promise.all([
    ctx.db.entry.findMany({ where: { userId, kind: "SECRET", nameKey: { in: allVariableKeys() } } }),
    ctx.db.providerConnection.findMany({ where: { userId } }),
  ]);
  return new Map(PROVIDERS.map((provider) => [provider, cardFor(provider, entries, connections)]));
}

export async function aiProviderCards(ctx: Context): Promise<AiProviderCard[]> {
  return [...(await loadCards(ctx)).values()];
}

async function card(ctx: Context, provider: Provider): Promise<AiProviderCard> {
  return (await loadCards(ctx)).get(provider) as AiProviderCard;
}

async function connectedCard(ctx: Context, provider: Provider) {
  const found = await card(ctx, provider);
  if (!found.secret) throw new NotFoundError("connected provider", provider);
  return found as AiProviderCard & { secret: EntryRow };
}

export async function connectAiProvider(ctx: Context, input: ConnectInput): Promise<AiProviderCard> {
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

  const envVar = (method === "OAUTH" ? definition.oauthVar : definition.apiKeyVar) as string;
  const existing = await ctx.db.entry.findUnique({
    where: { userId_nameKey: { userId: ctx.viewer.userId, nameKey: nameKey(envVar) } },
  });
  if (existing && existing.kind !== "SECRET") throw new NameTakenError(existing.name);
  const entry = existing
    ? await updateEntry(ctx, "SECRET", { id: existing.id, value: input.credential })
    : await addEntry(ctx, "SECRET", { name: envVar, value: input.credential });

  const now = new Date();
  const details = {
    method,
    entryId: entry.id,
    connectedAt: now,
    expiresAt: input.expiresIn ? new Date(now.getTime() + input.expiresIn * 1000) : null,
    refreshCiphertext: input.refreshToken
      ? sealValue(ctx, refreshBinding(entry.id), input.refreshToken).ciphertext
      : null,
    issuer: method === "OAUTH" ? (input.issuer ?? null) : null,
    clientId: method === "OAUTH" ? (input.clientId ?? null) : null,
    lastCheckedAt: null,
    lastCheckAccepted: null,
    lastCheckError: null,
  };
  await ctx.db.providerConnection.upsert({
    where: { userId_provider: { userId: ctx.viewer.userId, provider: input.provider } },
    create: { userId: ctx.viewer.userId, provider: input.provider, ...details },
    update: details,
  });
  return card(ctx, input.provider);
}

export async function disconnectAiProvider(ctx: Context, input: { provider: Provider }): Promise<AiProviderCard> {
  const connected = await connectedCard(ctx, input.provider);
  await deleteEntry(ctx, { id: connected.secret.id });
  return card(ctx, input.provider);
}

async function recordCheck(
  ctx: Context,
  found: AiProviderCard & { secret: EntryRow },
  result: { accepted: boolean | null; error: string | null },
) {
  const data = { lastCheckedAt: new Date(), lastCheckAccepted: result.accepted, lastCheckError: result.error };
  await ctx.db.providerConnection.upsert({
    where: { userId_provider: { userId: ctx.viewer.userId, provider: found.provider } },
    create: {
      userId: ctx.viewer.userId,
      provider: found.provider,
      method: found.method ?? "API_KEY",
      entryId: found.secret.id,
      connectedAt: found.connectedAt ?? new Date(),
      ...data,
    },
    update: data,
  });
}

/** Asks the provider whether the connected key works, and records the answer on the card. */
export async function checkAiProvider(ctx: Context, input: { provider: Provider }): Promise<AiProviderCard> {
  const found = await connectedCard(ctx, input.provider);
  const request = DEFINITIONS[input.provider].checkRequest(
    ctx.providerBaseUrls[input.provider],
    openValue(ctx, found.secret),
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
  await recordCheck(ctx, found, result);
  return card(ctx, input.provider);
}

/** Renews an OAuth token with its refresh token; agents using it then need a restart. */
export async function refreshAiProvider(ctx: Context, input: { provider: Provider }): Promise<AiProviderCard> {
  const found = await connectedCard(ctx, input.provider);
  const connection = found.connection;
  if (found.method !== "OAUTH" || !connection?.refreshCiphertext || !connection.issuer || !connection.clientId) {
    throw new ValidationError("This provider was not connected by OAuth with a refresh token", "provider");
  }
  const refreshToken = openValue(ctx, {
    id: refreshBinding(found.secret.id),
    ciphertext: connection.refreshCiphertext,
  });
  let tokens: Awaited<ReturnType<typeof refreshWithIssuer>>;
  try {
    tokens = await refreshWithIssuer(connection.issuer, connection.clientId, refreshToken);
  } catch (error) {
    const code = (error as { error?: string; code?: string })?.error ?? (error as { code?: string })?.code;
    throw new ProviderRequestError(`The issuer did not renew the token${code ? ` (${code})` : ""}; connect again`);
  }
  await updateEntry(ctx, "SECRET", { id: found.secret.id, value: tokens.accessToken });
  await ctx.db.providerConnection.update({
    where: { id: connection.id },
    data: {
      expiresAt: tokens.expiresIn ? new Date(Date.now() + tokens.expiresIn * 1000) : null,
      ...(tokens.refreshToken
        ? { refreshCiphertext: sealValue(ctx, refreshBinding(found.secret.id), tokens.refreshToken).ciphertext }
        : {}),
    },
  });
  return card(ctx, input.provider);
}

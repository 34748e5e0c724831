import { type DescribedCheck, ENTRY_READERS, scopeNames, written } from "../../auth/result-scopes.ts";
import { builder } from "../../builder.ts";
import { type Context, originOf } from "../../context.ts";
import { AiProvider, AiProviderMethod } from "../../db/enums.ts";
import type { ProviderStatusNotice } from "../../events/events.ts";
import { deliveryOf } from "../broker/delivery.ts";
import {
  EntryInUseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ProviderRequestError,
  ValidationError,
  VersionConflictError,
} from "../common/errors.ts";
import { DeliveryEnum, SecretRef } from "../entry/entry.schema.ts";
import { feedField } from "../notice/feed-field.ts";
import type { OAuthSetup } from "./oauth-sign-in.ts";
import type { AiProviderCard } from "./provider.service.ts";

const AiProviderEnum = builder.enumType(AiProvider, { name: "AiProvider" });

const AiProviderMethodEnum = builder.enumType(AiProviderMethod, {
  name: "AiProviderMethod",
  values: {
    API_KEY: { description: "An API key." },
    OAUTH: { description: "An OAuth access token (OpenAI through a Codex subscription)." },
  },
});

const AiProviderStatusEnum = builder.enumType("AiProviderStatus", {
  values: {
    CONNECTED: { description: "Connected; an OAuth token is not yet due for renewal." },
    EXPIRING: { description: "An OAuth token is due for renewal, or its renewal failed for now and will be retried." },
    NEEDS_REAUTH: { description: "The issuer refused the refresh token: connect again." },
    DISCONNECTED: { description: "No secret for this provider." },
  } as const,
});

/** A card's secret: the one a connect or refresh of this request wrote, or a token that reads entries. */
const secretOfCard: DescribedCheck = Object.assign(
  (card: object, _args: unknown, ctx: Context) => {
    const secret = (card as AiProviderCard).secret;
    return (!!secret && ctx.written.has(secret)) || ENTRY_READERS;
  },
  {
    describes: `Requires the ${scopeNames(ENTRY_READERS)} scope, except on the secret a connect or refresh of this request wrote; null without.`,
  },
);

/** A card whose secret this request wrote (connected, refreshed): the secret's own fields are readable. */
function withWrittenSecret(ctx: Context, card: AiProviderCard): AiProviderCard {
  if (card.secret) written(ctx, card.secret);
  return card;
}

const AiProviderCardRef = builder.objectRef<AiProviderCard>("AiProviderCard").implement({
  description: "A quick-connect view of one LLM provider's key.",
  fields: (t) => ({
    provider: t.field({ type: AiProviderEnum, resolve: (card) => card.provider }),
    envVar: t.exposeString("envVar", { description: "The environment variable its secret becomes." }),
    connected: t.exposeBoolean("connected", { description: "True when the provider's secret exists." }),
    method: t.field({ type: AiProviderMethodEnum, nullable: true, resolve: (card) => card.method }),
    delivery: t.field({
      type: DeliveryEnum,
      nullable: true,
      description: "How agents get the key (BROKERED: the key stays in the vault); null when not connected.",
      resolve: (card) => (card.secret ? deliveryOf(card.secret) : null),
    }),
    secret: t.field({
      type: SecretRef,
      nullable: true,
      description: "The provider's secret: an ordinary secret, attachable like any other.",
      authScopes: secretOfCard,
      unauthorizedResolver: () => null,
      resolve: (card) => card.secret,
    }),
    connectedAt: t.expose("connectedAt", { type: "DateTime", nullable: true }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "OAuth: when the token expires.",
    }),
    lastCheckedAt: t.expose("lastCheckedAt", { type: "DateTime", nullable: true }),
    keyAccepted: t.exposeBoolean("keyAccepted", {
      nullable: true,
      description: "Whether the provider accepted the key at the last check (null: not checked, or no answer).",
    }),
    lastCheckError: t.exposeString("lastCheckError", { nullable: true }),
    status: t.field({ type: AiProviderStatusEnum, resolve: (card) => card.status }),
    lastRefreshedAt: t.expose("lastRefreshedAt", {
      type: "DateTime",
      nullable: true,
      description: "OAuth: when the token was last renewed (by the vault itself or refreshAiProvider).",
    }),
    lastError: t.exposeString("lastError", {
      nullable: true,
      description: "OAuth: what the issuer said when the last renewal failed (never a token).",
    }),
  }),
});

const ProviderStatusNoticeRef = builder.objectRef<ProviderStatusNotice>("ProviderStatusNotice").implement({
  description: "An AI provider card's status changed: a token renewed, refused, or failing to renew for now.",
  fields: (t) => ({
    provider: t.field({ type: AiProviderEnum, resolve: (notice) => notice.provider as AiProviderCard["provider"] }),
    status: t.field({ type: AiProviderStatusEnum, resolve: (notice) => notice.status as AiProviderCard["status"] }),
    lastError: t.string({ nullable: true, resolve: (notice) => notice.lastError }),
    expiresAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (notice) => (notice.expiresAt ? new Date(notice.expiresAt) : null),
    }),
    lastRefreshedAt: t.field({
      type: "DateTime",
      nullable: true,
      resolve: (notice) => (notice.lastRefreshedAt ? new Date(notice.lastRefreshedAt) : null),
    }),
    occurredAt: t.field({ type: "DateTime", resolve: (notice) => new Date(notice.occurredAt) }),
  }),
});

builder.subscriptionField("providerStatusChanged", (t) =>
  t.field({
    type: ProviderStatusNoticeRef,
    authScopes: { ENTRIES_READ: true },
    description: "Changes of the AI provider cards' status, as they happen.",
    ...feedField((_args: unknown, ctx) => ctx.services.providers.statusChanges()),
    resolve: (notice) => notice as ProviderStatusNotice,
  }),
);

builder.queryField("aiProviders", (t) =>
  t.field({
    type: [AiProviderCardRef],
    authScopes: { ENTRIES_READ: true },
    description: "One card per AI provider: Anthropic, OpenAI, OpenRouter.",
    resolve: (_root, _args, ctx) => ctx.services.providers.cards(ctx.viewer),
  }),
);

const ConnectAiProviderInput = builder.inputType("ConnectAiProviderInput", {
  fields: (t) => ({
    provider: t.field({ type: AiProviderEnum, required: true }),
    credential: t.string({ required: true, description: "The API key, or the OAuth access token." }),
    method: t.field({ type: AiProviderMethodEnum, required: false, defaultValue: "API_KEY" }),
    refreshToken: t.string({ required: false, description: "OAuth: kept encrypted, used by refreshAiProvider." }),
    expiresIn: t.int({ required: false, description: "OAuth: seconds until the access token expires." }),
    issuer: t.string({ required: false, description: "OAuth: the issuer that granted the token." }),
    clientId: t.string({ required: false, description: "OAuth: the client id it was granted to." }),
    delivery: t.field({
      type: DeliveryEnum,
      required: false,
      description:
        "BROKERED keeps the key in the vault: agents get a placeholder and the provider's base URL variable pointing at the vault's broker. Default: as it was (ENVIRONMENT for a new key).",
    }),
  }),
});

const ProviderInput = builder.inputType("AiProviderInput", {
  fields: (t) => ({ provider: t.field({ type: AiProviderEnum, required: true }) }),
});

builder.mutationFields((t) => ({
  connectAiProvider: t.field({
    type: AiProviderCardRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description: "Writes the provider's secret (an ordinary secret) and returns its card.",
    errors: { types: [ValidationError, NameTakenError, VersionConflictError, LimitExceededError] },
    args: { input: t.arg({ type: ConnectAiProviderInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      withWrittenSecret(ctx, await ctx.services.providers.connect(ctx.viewer, input)),
  }),
  disconnectAiProvider: t.field({
    type: AiProviderCardRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description: "Deletes the provider's secret; refused while agents use it.",
    errors: { types: [NotFoundError, EntryInUseError] },
    args: { input: t.arg({ type: ProviderInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.providers.disconnect(ctx.viewer, input),
  }),
  checkAiProvider: t.field({
    type: AiProviderCardRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description: "Asks the provider whether the key works; the card records the answer.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: ProviderInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.providers.check(ctx.viewer, input),
  }),
  refreshAiProvider: t.field({
    type: AiProviderCardRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description: "Renews an OAuth token with its refresh token; agents using it need a restart.",
    errors: { types: [NotFoundError, ValidationError, ProviderRequestError] },
    args: { input: t.arg({ type: ProviderInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      withWrittenSecret(ctx, await ctx.services.providers.refresh(ctx.viewer, input)),
  }),
}));

// The console's OAuth sign-in for OpenAI (a Codex subscription): oauth-sign-in.ts.
const OAuthSetupRef = builder.objectRef<OAuthSetup>("AiProviderOAuthSetup").implement({
  description: "Whether the console can sign in to OpenAI by OAuth here, and what the operator must set otherwise.",
  fields: (t) => ({
    configured: t.exposeBoolean("configured"),
    issuer: t.exposeString("issuer", { description: "The OAuth issuer the operator configured." }),
    clientId: t.exposeString("clientId", {
      nullable: true,
      description: "The operator's OAuth client id (AGENT_VAULT_OPENAI_CLIENT_ID); the CLI's sign-in uses it too.",
    }),
    missing: t.exposeStringList("missing", {
      description: "The environment variables the operator must set (and restart the vault) for the console's sign-in.",
    }),
  }),
});

const OAuthStartRef = builder.objectRef<{ authorizationUrl: string }>("AiProviderOAuthStart").implement({
  fields: (t) => ({
    authorizationUrl: t.exposeString("authorizationUrl", {
      description: "Where to send the browser; the issuer sends it back to the vault's /oauth/openai/callback.",
    }),
  }),
});

builder.queryField("aiProviderOAuth", (t) =>
  t.field({
    type: OAuthSetupRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description: "Whether OpenAI can be connected by OAuth from the console (AGENT_VAULT_OPENAI_CLIENT_ID).",
    resolve: (_root, _args, ctx) => ctx.services.oauthSignIn.setup(),
  }),
);

const StartOAuthInput = builder.inputType("StartAiProviderOAuthInput", {
  fields: (t) => ({
    provider: t.field({ type: AiProviderEnum, required: true, description: "OPENAI (a Codex subscription)." }),
    delivery: t.field({
      type: DeliveryEnum,
      required: false,
      description: "How agents get the token (as connectAiProvider).",
    }),
  }),
});

const FinishOAuthInput = builder.inputType("FinishAiProviderOAuthInput", {
  fields: (t) => ({
    callbackUrl: t.string({
      required: true,
      description: "The whole address the issuer sent the browser back to (with its code and state).",
    }),
  }),
});

builder.mutationFields((t) => ({
  startAiProviderOAuth: t.field({
    type: OAuthStartRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description:
      "Starts a console's OAuth sign-in (authorization code with PKCE, at the operator's issuer and client id); it finishes in the same console session with finishAiProviderOAuth. From a terminal: agent-vault auth openai --oauth.",
    errors: { types: [ValidationError, ProviderRequestError] },
    args: { input: t.arg({ type: StartOAuthInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      if (input.provider !== "OPENAI") {
        throw new ValidationError("OAuth is only for OpenAI (a Codex subscription); use an API key", "provider");
      }
      return ctx.services.oauthSignIn.start(ctx.viewer, { delivery: input.delivery, origin: originOf(ctx) });
    },
  }),
  finishAiProviderOAuth: t.field({
    type: AiProviderCardRef,
    authScopes: { PROVIDERS_MANAGE: true },
    description:
      "Finishes a console's OAuth sign-in: exchanges the code for tokens and connects OpenAI with them, in the console session that started it.",
    errors: {
      types: [ValidationError, ProviderRequestError, NameTakenError, VersionConflictError, LimitExceededError],
    },
    args: { input: t.arg({ type: FinishOAuthInput, required: true }) },
    resolve: async (_root, { input }, ctx) =>
      withWrittenSecret(ctx, await ctx.services.oauthSignIn.finish(ctx.viewer, input.callbackUrl)),
  }),
}));

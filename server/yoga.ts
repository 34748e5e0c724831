// The app: database, keys and the GraphQL server, without listening on a port.
import { createLogger, createYoga, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import type { Config } from "./config.ts";
import { authenticate, type Context, clientAddress, type Services } from "./context.ts";
import { UserKeyring } from "./crypto/user-keys.ts";
import { databaseTarget, openDatabase } from "./db/connect.ts";
import { verifyMasterKeys } from "./db/key-check.ts";
import { applyMigrations } from "./db/migrate.ts";
import { createVaultEvents } from "./events.ts";
import { redisEventTarget } from "./events-redis.ts";
import { DEFAULT_LIMITS, hardeningPlugins, type Limits } from "./hardening.ts";
import { maskError, redactingLogger, useRedactedInputErrors } from "./mask-error.ts";
import { useSharedNoticeExecution } from "./modules/notice/notice.fanout.ts";
import { type ProviderBaseUrls, providerBaseUrls } from "./modules/provider/providers.ts";
import { useRuntimeChannel } from "./modules/runtime/runtime.routes.ts";
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from "./rate-limits.ts";
import { schema } from "./schema.ts";

export type VaultConfig = Pick<Config, "databaseUrl" | "masterKeys" | "masterKeySource" | "redisUrl"> & {
  logging?: boolean | YogaLogger;
  providerBaseUrls?: ProviderBaseUrls;
  limits?: Partial<Limits>;
  rateLimits?: Partial<RateLimitSettings>;
  /** Trust X-Forwarded-For for the client's address (behind a proxy you run). */
  trustProxy?: boolean;
  /** Hears every SQL statement the app sends (the benchmarks count them). */
  onQuery?: (sql: string) => void;
};

export type Vault = {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  services: Services;
  close(): Promise<void>;
};

export async function createVault(config: VaultConfig): Promise<Vault> {
  const target = databaseTarget(config.databaseUrl);
  await applyMigrations(target);
  const db = await openDatabase(target, config.onQuery);
  try {
    await verifyMasterKeys(db, config.masterKeys, config.masterKeySource);
  } catch (error) {
    await db.$disconnect();
    throw error;
  }
  const logger = redactingLogger(
    typeof config.logging === "object"
      ? config.logging
      : createLogger(config.logging ? (process.env.DEBUG ? "debug" : "info") : "silent"),
  );
  const redis = config.redisUrl ? redisEventTarget(config.redisUrl, (line) => logger.warn(line)) : null;
  const services: Services = {
    db,
    keyring: new UserKeyring(config.masterKeys),
    rateLimits: createRateLimits({ ...DEFAULT_RATE_LIMITS, ...config.rateLimits }),
    trustProxy: config.trustProxy ?? false,
    events: createVaultEvents(redis?.target),
    providerBaseUrls: config.providerBaseUrls ?? providerBaseUrls(),
  };
  const yoga = createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/healthz",
    landingPage: false,
    logging: logger,
    maskedErrors: { isDev: false, maskError },
    graphiql: {
      title: "Agent Vault",
      headers: JSON.stringify({ Authorization: "Bearer <paste your API token here>" }, null, 2),
    },
    batching: false,
    plugins: [
      useRuntimeChannel(services),
      ...hardeningPlugins({ ...DEFAULT_LIMITS, ...config.limits }),
      useRedactedInputErrors(),
      useSharedNoticeExecution(),
    ],
    // Over WebSocket there is no request: the token comes in the connection parameters.
    context: async ({
      request,
      req,
      connectionParams,
    }: {
      request?: Request;
      req?: { socket?: { remoteAddress?: string } };
      connectionParams?: Record<string, unknown>;
    }) => {
      const address = clientAddress(services, request, req?.socket?.remoteAddress);
      const authorization =
        request?.headers.get("authorization") ?? (connectionParams?.authorization as string | undefined);
      return { ...services, address, viewer: await authenticate(services, authorization, address) };
    },
  });
  return {
    yoga,
    services,
    close: async () => {
      redis?.close();
      await db.$disconnect();
    },
  };
}

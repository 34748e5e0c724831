// The app: database, keys and the GraphQL server, without listening on a port.
import { createLogger, createYoga, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import { RateLimiterMemory } from "rate-limiter-flexible";
import type { Config } from "./config.ts";
import { authenticate, type Context, type Services } from "./context.ts";
import { UserKeyring } from "./crypto/user-keys.ts";
import { databaseTarget, openDatabase } from "./db/connect.ts";
import { verifyMasterKeys } from "./db/key-check.ts";
import { applyMigrations } from "./db/migrate.ts";
import { createVaultEvents } from "./events.ts";
import { redisEventTarget } from "./events-redis.ts";
import { maskError, redactingLogger, useRedactedInputErrors } from "./mask-error.ts";
import { type ProviderBaseUrls, providerBaseUrls } from "./modules/provider/providers.ts";
import { useRuntimeChannel } from "./modules/runtime/runtime.routes.ts";
import { schema } from "./schema.ts";

export type VaultConfig = Pick<Config, "databaseUrl" | "masterKeys" | "masterKeySource" | "redisUrl"> & {
  /** verifySecret attempts per user per minute. */
  verifyAttemptsPerMinute?: number;
  logging?: boolean | YogaLogger;
  providerBaseUrls?: ProviderBaseUrls;
};

export type Vault = {
  yoga: YogaServerInstance<Record<string, never>, Context>;
  services: Services;
  close(): Promise<void>;
};

export async function createVault(config: VaultConfig): Promise<Vault> {
  const target = databaseTarget(config.databaseUrl);
  await applyMigrations(target);
  const db = await openDatabase(target);
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
    verifyLimiter: new RateLimiterMemory({ points: config.verifyAttemptsPerMinute ?? 30, duration: 60 }),
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
    plugins: [useRuntimeChannel(services), useRedactedInputErrors()],
    // Over WebSocket there is no request: the token comes in the connection parameters.
    context: async ({
      request,
      connectionParams,
    }: {
      request?: Request;
      connectionParams?: Record<string, unknown>;
    }) => ({
      ...services,
      viewer: await authenticate(
        services,
        request?.headers.get("authorization") ?? (connectionParams?.authorization as string | undefined),
      ),
    }),
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

// The app: the GraphQL API (with GraphiQL) and the runtime channel over an open vault, without
// listening on a port.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GraphQLError } from "graphql";
import { createLogger, createYoga, type Plugin, type YogaLogger, type YogaServerInstance } from "graphql-yoga";
import { AuthenticationError } from "./auth/authenticate.ts";
import { confirmsByItsWrite, FIRST_WRITE_SCOPE } from "./auth/confirmation.ts";
import type { Viewer } from "./auth/viewer.ts";
import { type Context, loadersFor } from "./context.ts";
import { clientAddress, nodeClientAddress } from "./http/client-address.ts";
import { useConsoleFiles } from "./http/console-files.ts";
import { graphiql, graphiqlOptions } from "./http/graphiql.ts";
import { DEFAULT_LIMITS, hardeningPlugins, type Limits } from "./http/hardening.ts";
import { type LogLevel, maskError, redactingLogger, useRedactedInputErrors } from "./http/mask-error.ts";
import { brokerHandler } from "./modules/broker/broker.routes.ts";
import { useSharedSubscriptions } from "./modules/notice/shared-subscriptions.ts";
import { serveEnvironment, useRuntimeChannel } from "./modules/runtime/runtime.routes.ts";
import { useConsoleSessions } from "./modules/session/session.routes.ts";
import { CSRF_HEADERS, hasCsrfHeader, sessionSecret } from "./modules/session/session-cookie.ts";
import { schema } from "./schema.ts";
import { openVault, type Vault, type VaultConfig } from "./vault.ts";

export type AppOptions = {
  logging?: boolean | YogaLogger;
  limits?: Partial<Limits>;
  /** GraphQL introspection (AGENT_VAULT_INTROSPECTION; on by default, off in production). */
  introspection?: boolean;
  /**
   * Subscriptions executed once per distinct operation and written by the vault's own event stream
   * (modules/notice/shared-subscriptions.ts). On by default; off, yoga serves each subscriber on its
   * own (the tests compare the two, byte for byte).
   */
  sharedSubscriptions?: boolean;
  /** Proxies of yours in front of the vault: the client's address is read from X-Forwarded-For past them. */
  trustedProxies?: number;
  /** Web origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins?: readonly string[];
};

export type App = YogaServerInstance<Record<string, never>, Context>;

type ServerContext = {
  request?: Request;
  params?: { query?: unknown; operationName?: unknown };
  req?: { socket?: { remoteAddress?: string } };
  connectionParams?: Record<string, unknown>;
};

function graphqlError(error: AuthenticationError): GraphQLError {
  const headers = error.retryAfter ? { "retry-after": String(error.retryAfter) } : undefined;
  return new GraphQLError(error.message, {
    extensions: {
      code: error.code,
      ...(error.retryAfter ? { retryAfter: error.retryAfter } : {}),
      http: { status: error.status, ...(headers ? { headers } : {}) },
    },
  });
}

/**
 * A request served with a viewer no statement confirmed (auth/confirmation.ts) has its token read
 * before its answer goes: no longer valid, it answers as a request with that token always did.
 */
function useConfirmedViewers(): Plugin<Context> {
  return {
    onExecute: () => ({
      async onExecuteDone({ args, setResult }) {
        const ctx = args.contextValue;
        const unconfirmed = ctx.viewer?.unconfirmed;
        if (!unconfirmed || unconfirmed.confirmed) return;
        try {
          await ctx.confirmViewer();
        } catch (error) {
          if (!(error instanceof AuthenticationError)) throw error;
          setResult({ errors: [graphqlError(error)] });
        }
      },
    }),
  };
}

export function loggerFor(logging: AppOptions["logging"]): YogaLogger {
  if (typeof logging === "object") return redactingLogger(logging);
  const level: LogLevel = logging ? (process.env.DEBUG ? "debug" : "info") : "silent";
  return redactingLogger(createLogger(level), level);
}

export function createApp(vault: Vault, options: AppOptions = {}): App {
  const { services } = vault;
  const logger = loggerFor(options.logging);
  const page = graphiql();
  const trustedProxies = options.trustedProxies ?? 0;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const secureCookies = (request: Request) =>
    new URL(request.url).protocol === "https:" ||
    (trustedProxies > 0 && request.headers.get("x-forwarded-proto") === "https");
  const addressOf = (request: Request | undefined, serverContext: unknown) =>
    clientAddress(
      trustedProxies,
      request?.headers.get("x-forwarded-for"),
      (serverContext as ServerContext | undefined)?.req?.socket?.remoteAddress,
    );

  return createYoga<Record<string, never>, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    healthCheckEndpoint: "/healthz",
    landingPage: false,
    logging: logger,
    maskedErrors: { isDev: false, maskError },
    graphiql: (request) => graphiqlOptions(sessionSecret(request) !== null),
    renderGraphiQL: (graphiqlOptions) => page.render(graphiqlOptions),
    batching: false,
    // Off: yoga's limit reads every body through a stream of its own (a tenth of a small request's
    // CPU); hardening.ts's limit refuses a body over it by its Content-Length before any is read,
    // and a body without one.
    maxRequestBodySize: false,
    // Off unless the operator lists origins; never with credentials (the API takes bearer tokens).
    cors: options.corsOrigins?.length
      ? { origin: [...options.corsOrigins], credentials: false, methods: ["GET", "POST"] }
      : false,
    plugins: [
      useRuntimeChannel(services, addressOf, logger),
      useConsoleSessions(services, addressOf, secureCookies, logger),
      page.plugin(),
      useConsoleFiles(),
      ...hardeningPlugins(limits, { introspection: options.introspection ?? true }),
      useRedactedInputErrors(),
      useConfirmedViewers(),
      ...(options.sharedSubscriptions === false ? [] : [useSharedSubscriptions()]),
    ],
    // Over WebSocket there is no request: the token comes in the connection parameters. The
    // console's requests carry no token but a session cookie, and must send a CSRF header.
    context: async (serverContext: ServerContext) => {
      const { request, connectionParams } = serverContext;
      const authorization =
        request?.headers.get("authorization") ?? (connectionParams?.authorization as string | undefined);
      const session = !authorization && request ? sessionSecret(request) : null;
      const address = addressOf(request, serverContext);
      if (session && request && !hasCsrfHeader(request)) {
        throw new GraphQLError(`A console request must send one of these headers: ${CSRF_HEADERS.join(", ")}`, {
          extensions: { code: "CSRF_HEADER_MISSING", http: { status: 403 } },
        });
      }
      try {
        // The token read for this request, once (a viewer this instance verified before may be
        // confirmed by the operation's write instead: auth/confirmation.ts).
        let read: Promise<Viewer> | undefined;
        const confirmViewer = () => {
          read ??= session
            ? services.sessions.viewer(session, address)
            : services.authenticate.api({ authorization, address });
          return read;
        };
        const verified =
          !session && request && confirmsByItsWrite(serverContext.params?.query, serverContext.params?.operationName)
            ? services.authenticate.verifiedApi({ authorization, address })
            : null;
        const viewer =
          verified?.scopes.has(FIRST_WRITE_SCOPE) && verified.unconfirmed ? verified : await confirmViewer();
        return {
          viewer,
          confirmViewer,
          db: vault.db,
          services,
          loaders: loadersFor(services, viewer),
          written: new WeakSet(),
          suppliedValues: new WeakSet(),
        };
      } catch (error) {
        throw error instanceof AuthenticationError ? graphqlError(error) : error;
      }
    },
  });
}

/**
 * What Node's HTTP server runs: the broker's requests (served by it directly, to stream them as
 * they come), an agent's environment (directly, at less cost), and everything else by the app.
 */
export function requestListener(
  vault: Vault,
  app: App,
  options: { logger?: YogaLogger; trustedProxies?: number } = {},
) {
  const logger = options.logger ?? loggerFor(false);
  const addressOf = (request: IncomingMessage) => nodeClientAddress(options.trustedProxies ?? 0, request);
  const broker = brokerHandler(vault.services.broker, { onError: (error) => logger.error(error), addressOf });
  const environment = serveEnvironment(vault.services, addressOf, logger);
  return {
    listener: (request: IncomingMessage, response: ServerResponse) => {
      if (!broker.handle(request, response) && !environment(request, response)) app(request, response);
    },
    close: () => broker.close(),
  };
}

/** A vault and its app together, for tests and the benchmarks. */
export async function openVaultApp(config: VaultConfig & AppOptions) {
  const vault = await openVault({ ...config, warn: (line) => loggerFor(config.logging).warn(line) });
  return { ...vault, yoga: createApp(vault, config) };
}

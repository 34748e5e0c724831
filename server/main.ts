// Start-up and listening: `agent-vault serve` and `npm start`.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createApp, loggerFor, requestListener } from "./app.ts";
import { type Config, type Env, listenAddress, loadConfig } from "./config.ts";
import { databaseTarget, sqliteFile } from "./db/database.ts";
import { takeServeLock } from "./db/sqlite/serve-lock.ts";
import { nodeClientAddress } from "./http/client-address.ts";
import { DEFAULT_LIMITS } from "./http/hardening.ts";
import { attachWebSocket } from "./http/websocket.ts";
import { openVault } from "./vault.ts";

/** The server could not listen: the message says why and what to do. */
export class ListenError extends Error {
  override name = "ListenError";
}

/** Listens on the address, or says in one line why it cannot. */
async function listenOn(server: Server, port: number, host: string): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, resolve);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ListenError(`Port ${port} is in use (another vault, or another program): set PORT to a free one`);
    }
    throw new ListenError(`Cannot listen on ${host} port ${port}: ${(error as Error).message}`);
  }
}

export async function serve(env: Env = process.env): Promise<void> {
  // Listening first: a port that is taken stops the start before anything is created (a new
  // vault's directory, key and first user's token).
  const { port, host } = listenAddress(env);
  const logger = loggerFor(true);
  let app: ((request: IncomingMessage, response: ServerResponse) => void) | null = null;
  const server = createServer((request, response) => {
    if (app) return app(request, response);
    response.writeHead(503, { "content-type": "text/plain", "retry-after": "1" });
    response.end("The vault is starting\n");
  });
  await listenOn(server, port, host);
  let config: Config;
  let releaseLock = () => {};
  let vault: Awaited<ReturnType<typeof openVault>>;
  try {
    config = loadConfig(env, {
      mayCreate: true,
      onCreate: (dir) => process.stdout.write(`Creating a new vault in ${dir}\n`),
    });
    const target = databaseTarget(config.databaseUrl);
    if (target.provider === "sqlite") releaseLock = takeServeLock(sqliteFile(target.url));
    vault = await openVault({ ...config, warn: (line) => logger.warn(line) });
  } catch (error) {
    server.close();
    releaseLock();
    throw error;
  }
  const yoga = createApp(vault, {
    logging: logger,
    introspection: config.introspection,
    trustedProxies: config.trustedProxies,
    corsOrigins: config.corsOrigins,
  });
  const home = `http://localhost:${config.port}/`;
  const address = `${home}graphql`;

  if ((await vault.services.users.count()) === 0 && config.production) {
    // A token printed here would land in the service's logs.
    process.stdout.write(
      "This vault has no users yet: create one with `agent-vault user create --name NAME` where the server's configuration is; its token is printed there, once.\n",
    );
  } else if ((await vault.services.users.count()) === 0) {
    const name = "owner";
    const { token } = await vault.services.users.create(name);
    process.stdout.write(
      [
        "",
        "A new vault: created its first user. This API token is shown once; keep it somewhere safe:",
        "",
        `    ${token}`,
        "",
        `The user is named ${name}: should the token be lost, \`agent-vault user token --user ${name}\` issues a new one here.`,
        `Open the console at ${home} and sign in with it, or GraphiQL at ${address} with the header  Authorization: Bearer <token>`,
        "",
      ].join("\n"),
    );
  }

  const http = requestListener(vault, yoga, { logger, trustedProxies: config.trustedProxies });
  app = http.listener;
  // Attached once listening: a port in use is the server's error above, not an unhandled one of the WebSocket server.
  const sockets = attachWebSocket(server, yoga, {
    maxFrameBytes: DEFAULT_LIMITS.maxBodyBytes,
    authenticate: vault.services.authenticate,
    addressOf: (request) => nodeClientAddress(config.trustedProxies, request),
  });
  const where = host === "127.0.0.1" || host === "::1" || host === "localhost" ? " (this machine only: HOST)" : "";
  process.stdout.write(
    `Agent Vault is listening on ${home}${where} (console), GraphiQL at /graphql, health at /healthz\n`,
  );

  const stop = async () => {
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    server.close();
    server.closeAllConnections();
    await http.close();
    await vault.close();
    releaseLock();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

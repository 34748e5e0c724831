// Start-up and listening: `agent-vault serve` and `npm start`.
import { createServer } from "node:http";
import { createApp, loggerFor } from "./app.ts";
import { type Env, loadConfig } from "./config.ts";
import { databaseTarget, sqliteFile } from "./db/database.ts";
import { takeServeLock } from "./db/sqlite/serve-lock.ts";
import { clientAddress } from "./http/client-address.ts";
import { DEFAULT_LIMITS } from "./http/hardening.ts";
import { attachWebSocket } from "./http/websocket.ts";
import { openVault } from "./vault.ts";

/** The server could not listen: the message says why and what to do. */
export class ListenError extends Error {
  override name = "ListenError";
}

export async function serve(env: Env = process.env): Promise<void> {
  const config = loadConfig(env, {
    mayCreate: true,
    onCreate: (dir) => process.stdout.write(`Creating a new vault in ${dir}\n`),
  });
  const logger = loggerFor(true);
  const target = databaseTarget(config.databaseUrl);
  const releaseLock = target.provider === "sqlite" ? takeServeLock(sqliteFile(target.url)) : () => {};
  const vault = await openVault({ ...config, warn: (line) => logger.warn(line) });
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
    const { token } = await vault.services.users.create("owner");
    process.stdout.write(
      [
        "",
        "A new vault: created its first user. This API token is shown once; keep it somewhere safe:",
        "",
        `    ${token}`,
        "",
        `Open the console at ${home} and sign in with it, or GraphiQL at ${address} with the header  Authorization: Bearer <token>`,
        "",
      ].join("\n"),
    );
  }

  const server = createServer(yoga);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.port, resolve);
    });
  } catch (error) {
    await vault.close();
    releaseLock();
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new ListenError(
        `Port ${config.port} is in use (another vault, or another program): set PORT to a free one`,
      );
    }
    throw new ListenError(`Cannot listen on port ${config.port}: ${(error as Error).message}`);
  }
  // Attached once listening: a port in use is the server's error above, not an unhandled one of the WebSocket server.
  const sockets = attachWebSocket(server, yoga, {
    maxFrameBytes: DEFAULT_LIMITS.maxBodyBytes,
    authenticate: vault.services.authenticate,
    addressOf: (request) =>
      clientAddress(
        config.trustedProxies,
        request.headers["x-forwarded-for"]?.toString(),
        request.socket.remoteAddress,
      ),
  });
  process.stdout.write(`Agent Vault is listening on ${home} (console), GraphiQL at /graphql, health at /healthz\n`);

  const stop = async () => {
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    server.close();
    server.closeAllConnections();
    await vault.close();
    releaseLock();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

// Start-up and listening: `agent-vault serve` and `npm start`.
import { createServer } from "node:http";
import { createApp, loggerFor } from "./app.ts";
import { type Env, loadConfig } from "./config.ts";
import { attachWebSocket } from "./http/websocket.ts";
import { openVault } from "./vault.ts";

export async function serve(env: Env = process.env): Promise<void> {
  const config = loadConfig(env);
  const logger = loggerFor(true);
  const vault = await openVault({ ...config, warn: (line) => logger.warn(line) });
  const yoga = createApp(vault, {
    logging: logger,
    limits: { introspection: config.introspection },
    trustProxy: config.trustProxy,
  });
  const address = `http://localhost:${config.port}/graphql`;

  if ((await vault.services.users.count()) === 0) {
    const { token } = await vault.services.users.create("owner");
    process.stdout.write(
      [
        "",
        "A new vault: created its first user. This API token is shown once; keep it somewhere safe:",
        "",
        `    ${token}`,
        "",
        `Open GraphiQL at ${address} and send it as the header  Authorization: Bearer <token>`,
        "",
      ].join("\n"),
    );
  }

  const server = createServer(yoga);
  const sockets = attachWebSocket(server, yoga);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, resolve);
  });
  process.stdout.write(`Agent Vault is listening on ${address} (GraphiQL), health at /healthz\n`);

  const stop = async () => {
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    server.close();
    server.closeAllConnections();
    await vault.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

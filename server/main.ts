// Start-up and listening: `agent-vault serve` and `npm start`.
import { createServer } from "node:http";
import { type Env, loadConfig } from "./config.ts";
import { countUsers, createUser } from "./modules/user/user.service.ts";
import { attachWebSocket } from "./websocket.ts";
import { createVault } from "./yoga.ts";

export async function serve(env: Env = process.env): Promise<void> {
  const config = loadConfig(env);
  const vault = await createVault({ ...config, logging: true, limits: { introspection: config.introspection } });
  const address = `http://localhost:${config.port}/graphql`;

  if ((await countUsers(vault.services.db)) === 0) {
    const { token } = await createUser(vault.services.db, "owner");
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

  const server = createServer(vault.yoga);
  const sockets = attachWebSocket(server, vault);
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

// The imports that load the vault while { hello }'s p99 is measured, in a process of their own.
// In the load generator's process, the client's own work (sending 10,000 lines, reading a report of
// 10,000 names) held up autocannon's event loop for up to 30 ms, and those delays were counted as
// the vault's. Plain JavaScript over the built SDK, as a program that imports it would run.
import { createVaultClient } from "@agent-vault/sdk";

let content = "";
process.on("message", async (message) => {
  if (message.content !== undefined) {
    content = message.content;
    return;
  }
  try {
    for (const token of message.tokens) {
      await createVaultClient({ url: message.url, token }).importEnv({ content, kind: "SECRET" });
    }
    process.send({ done: true });
  } catch (error) {
    process.send({ error: String(error?.message ?? error) });
  }
});

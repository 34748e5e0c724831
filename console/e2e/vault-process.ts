// A real vault for the console's tests and screenshots: `agent-vault serve` on a fresh SQLite
// database in a directory of its own, its first user's API token, and an SDK client with it.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, type VaultClient } from "@agent-vault/sdk";
import { freePort } from "../../tests/helpers/free-port.ts";

export const BIN = path.resolve(import.meta.dirname, "../../bin/agent-vault.mjs");

export type TestVault = { url: string; token: string; sdk: VaultClient; output: () => string };

/** `env`: settings of the operator's for this vault (an OAuth issuer, say). */
export async function startVault(
  env: Record<string, string> = {},
): Promise<{ vault: TestVault; stop: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-e2e-"));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve"], {
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      PORT: String(port),
      AGENT_VAULT_DATA_DIR: path.join(dir, "data"),
      AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64"),
      // The usage tests broker requests to a stand-in provider on this machine.
      AGENT_VAULT_ALLOW_PRIVATE_UPSTREAMS: "true",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  let token: string | undefined;
  while (!token) {
    if (child.exitCode !== null) throw new Error(`the vault exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`the vault did not start: ${output}`);
    const healthy = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    );
    token = healthy ? /avt_\w+/.exec(output)?.[0] : undefined;
    if (!token) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const sdk = createVaultClient({ url: `${url}/graphql`, token });
  return {
    vault: { url, token, sdk, output: () => output },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Start-up: whole processes, as operators and scripts run them, each against a baseline started
// and measured the same way in the same pair.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { createVaultClient } from "@agent-vault/sdk";
import { type Figure, figure, paired, stage } from "./measure.ts";
import { BIN, commandCpu, cpuUntilReady, root, startVault } from "./processes.ts";

const COMMAND_RUNS = 5;

export async function startupFigures(settings: { pairs: number; work: string }): Promise<Figure[]> {
  const figures: Figure[] = [];
  const { pairs } = settings;
  const dataDir = mkdtempSync(path.join(settings.work, "startup-"));
  const env = { AGENT_VAULT_DATA_DIR: dataDir, AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64") };
  const port = () => String(10_000 + Math.floor(Math.random() * 22_000));
  const bare = path.join(root, "bench/baseline-http.mjs");
  const ready = (command: string[], extra: Record<string, string>) => {
    const p = port();
    return cpuUntilReady(command, { ...extra, PORT: p }, `http://127.0.0.1:${p}/healthz`);
  };

  stage("startup: a new vault (first start, migrations applied)");
  const fresh = await paired(pairs, async () => {
    const base = await ready([process.execPath, bare], {});
    const dir = mkdtempSync(path.join(settings.work, "fresh-"));
    const vault = await ready([process.execPath, BIN, "serve"], { ...env, AGENT_VAULT_DATA_DIR: dir });
    return { ratio: vault / base, detail: { vaultCpu: vault, bareCpu: base } };
  });
  figures.push(
    figure(
      {
        name: "a new vault's first start, until /healthz / bare node:http",
        database: "sqlite",
        unit: "ratio of CPU time",
        goal: "reported",
        met: () => true,
      },
      fresh,
      { pairs: fresh.details },
    ),
  );

  // An existing vault: migrated, with a user whose token the client figure uses.
  const created = execFileSync(process.execPath, [BIN, "user", "create", "--name", "bench", "--json"], {
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
  const owner = JSON.parse(created).token as string;

  stage("startup: serve on an existing, migrated database");
  const serve = await paired(pairs, async () => {
    const base = await ready([process.execPath, bare], {});
    const vault = await ready([process.execPath, BIN, "serve"], env);
    return { ratio: vault / base, detail: { vaultCpu: vault, bareCpu: base } };
  });
  figures.push(
    figure(
      {
        name: "agent-vault serve until /healthz / bare node:http",
        database: "sqlite",
        unit: "ratio of CPU time",
        goal: "<= 6",
        met: (m) => m <= 6,
      },
      serve,
      { pairs: serve.details },
    ),
  );

  stage("startup: agent-vault --help");
  const help = await paired(pairs, async () => {
    const base = commandCpu([process.execPath, "-e", "0"], {}, COMMAND_RUNS);
    const cli = commandCpu([process.execPath, BIN, "--help"], {}, COMMAND_RUNS);
    return { ratio: cli / base, detail: { cliCpu: cli, nodeCpu: base } };
  });
  figures.push(
    figure(
      {
        name: "agent-vault --help / node -e 0",
        database: "sqlite",
        unit: "ratio of CPU time",
        goal: "<= 2.5",
        met: (m) => m <= 2.5,
      },
      help,
      { pairs: help.details },
    ),
  );

  stage("startup: agent-vault secrets list --json");
  const server = await startVault(env);
  try {
    const vault = createVaultClient({ url: `${server.url}/graphql`, token: owner });
    for (let i = 0; i < 20; i++) await vault.addSecret({ name: `LISTED_${i}`, value: randomBytes(16).toString("hex") });
    const cliEnv = { AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_TOKEN: owner };
    const list = await paired(pairs, async () => {
      const base = commandCpu([process.execPath, "-e", "0"], {}, COMMAND_RUNS);
      const cli = commandCpu([process.execPath, BIN, "secrets", "list", "--json"], cliEnv, COMMAND_RUNS);
      return { ratio: cli / base, detail: { cliCpu: cli, nodeCpu: base } };
    });
    figures.push(
      figure(
        {
          name: "agent-vault secrets list --json (20 secrets) / node -e 0",
          database: "sqlite",
          unit: "ratio of CPU time",
          goal: "<= 2.5",
          met: (m) => m <= 2.5,
        },
        list,
        { pairs: list.details },
      ),
    );
  } finally {
    await server.stop();
  }

  stage("startup: agent-vault secrets list --json, 100,000 secrets / 1,000");
  const listOf = async (count: number) => {
    const dir = mkdtempSync(path.join(settings.work, `list-${count}-`));
    const listEnv = { ...env, AGENT_VAULT_DATA_DIR: dir };
    const created = execFileSync(process.execPath, [BIN, "user", "create", "--name", "lister", "--json"], {
      env: { ...process.env, ...listEnv },
      encoding: "utf8",
    });
    const token = JSON.parse(created).token as string;
    const listServer = await startVault(listEnv);
    const vault = createVaultClient({ url: `${listServer.url}/graphql`, token });
    for (let start = 0; start < count; start += 50_000) {
      const lines = Array.from(
        { length: Math.min(50_000, count - start) },
        (_, i) => `LISTED_${String(start + i).padStart(6, "0")}=${randomBytes(12).toString("hex")}`,
      );
      await vault.importEnv({ content: lines.join("\n") });
    }
    return { server: listServer, env: { AGENT_VAULT_URL: `${listServer.url}/graphql`, AGENT_VAULT_TOKEN: token } };
  };
  const thousand = await listOf(1_000);
  const hundredThousand = await listOf(100_000);
  try {
    const wall = (cliEnv: Record<string, string>) => {
      const started = performance.now();
      execFileSync(process.execPath, [BIN, "secrets", "list", "--json"], {
        env: { ...process.env, ...cliEnv },
        maxBuffer: 1 << 30,
        stdio: ["ignore", "pipe", "ignore"],
      });
      return performance.now() - started;
    };
    const large = await paired(Math.min(pairs, 3), async () => {
      const base = wall(thousand.env);
      const many = wall(hundredThousand.env);
      return { ratio: many / base, detail: { ms100000: Math.round(many), ms1000: Math.round(base) } };
    });
    figures.push(
      figure(
        {
          name: "agent-vault secrets list --json, 100,000 secrets / 1,000 (time)",
          database: "sqlite",
          unit: "ratio of time",
          goal: "<= 20",
          met: (m) => m <= 20,
        },
        large,
        { pairs: large.details },
      ),
    );
  } finally {
    await thousand.server.stop();
    await hundredThousand.server.stop();
  }
  return figures;
}

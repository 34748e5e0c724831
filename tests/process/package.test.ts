// The packages as users get them: `npm pack`, installed into new projects, type-checked with tsc
// and run against a live server.
// - @agent-vault/sdk alone: a handful of packages and no install script; the program is the
//   example in sdk/README.md.
// - agent-vault/sdk from the vault's own package: the same SDK, the same classes.
// - @agent-vault/cli alone: drives a vault without the server or any native build.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli, startServer } from "../helpers/processes.ts";

const root = path.resolve(import.meta.dirname, "../..");
const tsc = path.join(root, "node_modules/.bin/tsc");
const key = Buffer.alloc(32, 7).toString("base64");
let work: string;
let tarballs: { sdk: string; cli: string; vault: string };
let server: Awaited<ReturnType<typeof startServer>>;
let tokens: string[];

function readmeExample(): string {
  const readme = readFileSync(path.join(root, "sdk/README.md"), "utf8");
  const match = /```ts example\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error("sdk/README.md has no ```ts example block");
  return match[1];
}

function pack(dir: string): string {
  const before = new Set(readdirSync(work));
  execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], { cwd: dir, stdio: "ignore" });
  return readdirSync(work).find((name) => name.endsWith(".tgz") && !before.has(name)) as string;
}

/** A new project depending on these tarballs, installed from the local npm cache. */
function project(name: string, dependencies: Record<string, string>, options: { ignoreScripts?: boolean } = {}) {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", dependencies }));
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        skipLibCheck: false,
        types: ["node"],
        typeRoots: [path.join(root, "node_modules/@types")],
        lib: ["ES2022", "DOM"],
      },
      files: ["consumer.ts"],
    }),
  );
  execFileSync(
    "npm",
    ["install", "--no-audit", "--no-fund", "--prefer-offline", ...(options.ignoreScripts ? ["--ignore-scripts"] : [])],
    { cwd: dir, stdio: "ignore" },
  );
  return dir;
}

/** Every package installed in a project: name -> its package.json. */
function installed(dir: string): Map<string, { scripts?: Record<string, string> }> {
  const found = new Map<string, { scripts?: Record<string, string> }>();
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const name of readdirSync(modules)) {
      if (name.startsWith(".")) continue;
      if (name.startsWith("@")) {
        for (const scoped of readdirSync(path.join(modules, name))) visit1(path.join(modules, name, scoped));
      } else visit1(path.join(modules, name));
    }
  };
  const visit1 = (dir: string) => {
    const manifest = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    found.set(manifest.name, manifest);
    visit(path.join(dir, "node_modules"));
  };
  visit(path.join(dir, "node_modules"));
  return found;
}

function typecheck(dir: string, program: string) {
  writeFileSync(path.join(dir, "consumer.ts"), program);
  return spawnSync(tsc, ["-p", "."], { cwd: dir, encoding: "utf8" });
}

/** Runs the consumer as its own user: each project gets a vault of its own. */
function runConsumer(dir: string, user: number) {
  return spawnSync(process.execPath, ["consumer.js"], {
    cwd: dir,
    encoding: "utf8",
    env: cleanEnv({ AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_TOKEN: tokens[user] }),
  });
}

const EXPECTED_RUN = ["support-bot restart required: true", "refused: used by support-bot", "deleted true"];

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-pack-"));
  tarballs = { sdk: pack(path.join(root, "sdk")), cli: pack(path.join(root, "cli")), vault: pack(root) };
  const dataDir = path.join(work, "data");
  tokens = [];
  for (const name of ["sdk", "vault", "cli"]) {
    const created = await runCli(["user", "create", "--name", name, "--json"], {
      AGENT_VAULT_DATA_DIR: dataDir,
      AGENT_VAULT_MASTER_KEY: key,
    });
    tokens.push(JSON.parse(created.stdout).token);
  }
  server = await startServer({ AGENT_VAULT_DATA_DIR: dataDir, AGENT_VAULT_MASTER_KEY: key });
}, 300_000);
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("@agent-vault/sdk, packed and installed alone", () => {
  let dir: string;
  beforeAll(() => {
    dir = project("sdk-consumer", { "@agent-vault/sdk": `file:../${tarballs.sdk}` });
  }, 300_000);

  it("installs at most 10 packages, none with an install script, and ships only its built files", () => {
    const packages = installed(dir);
    console.log(`@agent-vault/sdk installs ${packages.size} packages: ${[...packages.keys()].join(", ")}`);
    expect(packages.size).toBeLessThanOrEqual(10);
    const withScripts = [...packages].filter(([, manifest]) =>
      ["preinstall", "install", "postinstall"].some((hook) => manifest.scripts?.[hook]),
    );
    expect(withScripts.map(([name]) => name)).toEqual([]);
    const files = readdirSync(path.join(dir, "node_modules/@agent-vault/sdk/dist"));
    expect(files).toContain("index.js");
    expect(files).toContain("index.d.ts");
    expect(existsSync(path.join(dir, "node_modules/@agent-vault/sdk/src"))).toBe(false);
  });

  it("type-checks the README example and runs it against a live server", () => {
    const check = typecheck(dir, readmeExample());
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    const run = runConsumer(dir, 0);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toEqual(EXPECTED_RUN);
  });

  it("refuses to compile a program with an unknown input field, a wrong type or a missing field", () => {
    const check = typecheck(
      dir,
      [
        'import { createVaultClient } from "@agent-vault/sdk";',
        'const vault = createVaultClient({ url: "http://localhost:4000/graphql", token: "t" });',
        'await vault.addSecret({ name: "A", value: "v", colour: "red" });',
        'await vault.addSecret({ name: "A", value: 42 });',
        'await vault.detachEntries({ agentId: "a" });',
        'const secret = await vault.addSecret({ name: "A", value: "v" });',
        "secret.value;",
      ].join("\n"),
    );
    expect(check.status).not.toBe(0);
    const lines = new Set([...check.stdout.matchAll(/consumer\.ts\((\d+),/g)].map((m) => Number(m[1])));
    expect([...lines].sort()).toEqual([3, 4, 5, 7]);
  });
});

describe("agent-vault/sdk from the vault's own package", () => {
  let dir: string;
  beforeAll(() => {
    // The vault's native and WebAssembly parts are not needed to use its SDK: no install scripts.
    dir = project(
      "vault-consumer",
      { "agent-vault": `file:../${tarballs.vault}`, "@agent-vault/sdk": `file:../${tarballs.sdk}` },
      { ignoreScripts: true },
    );
  }, 300_000);

  it("type-checks and runs the README example imported as agent-vault/sdk, with the same classes", () => {
    const program = readmeExample().replaceAll('"@agent-vault/sdk"', '"agent-vault/sdk"');
    const check = typecheck(
      dir,
      `${program}\nimport * as direct from "@agent-vault/sdk";\nimport * as reexported from "agent-vault/sdk";\nif (direct.VaultError !== reexported.VaultError) throw new Error("two SDKs");\n`,
    );
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);
    const run = runConsumer(dir, 1);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim().split("\n")).toEqual(EXPECTED_RUN);
  });
});

describe("@agent-vault/cli, installed alone", () => {
  let dir: string;
  beforeAll(() => {
    dir = project("cli-user", { "@agent-vault/cli": `file:../${tarballs.cli}` });
  }, 300_000);

  it("installs without the server or any native build", () => {
    const packages = installed(dir);
    for (const server of ["agent-vault", "better-sqlite3", "graphql-yoga", "@prisma/client", "pg", "ioredis"]) {
      expect(packages.has(server), server).toBe(false);
    }
    expect(readdirSync(path.join(dir, "node_modules")).some((name) => name.endsWith(".node"))).toBe(false);
  });

  it("drives a live vault", () => {
    const bin = path.join(dir, "node_modules/.bin/agent-vault");
    const env = cleanEnv({ AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_TOKEN: tokens[2] });
    const add = spawnSync(bin, ["secrets", "add", "CLI_ALONE"], { env, input: "from the cli alone", encoding: "utf8" });
    expect(add.stderr).toBe("");
    expect(add.status).toBe(0);
    const list = spawnSync(bin, ["secrets", "list", "--json"], { env, encoding: "utf8" });
    expect(list.status).toBe(0);
    expect(JSON.parse(list.stdout).map((entry: { name: string }) => entry.name)).toContain("CLI_ALONE");
    expect(list.stdout).not.toContain("from the cli alone");
    const serve = spawnSync(bin, ["serve"], { env, encoding: "utf8" });
    expect(serve.status).toBe(2);
    expect(serve.stderr).toMatch(/serve is a server command; it comes with the vault itself/);
  });
});

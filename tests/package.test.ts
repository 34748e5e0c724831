// The SDK as a user gets it: `npm pack`, installed into a new project, imported as
// agent-vault/sdk, type-checked with tsc, and run against a live server. The program is the
// example in sdk/README.md.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, runCli, startServer } from "./helpers/processes.ts";

const root = path.resolve(import.meta.dirname, "..");
const tsc = path.join(root, "node_modules/.bin/tsc");
let work: string;
let project: string;

function readmeExample(): string {
  const readme = readFileSync(path.join(root, "sdk/README.md"), "utf8");
  const match = /```ts example\n([\s\S]*?)```/.exec(readme);
  if (!match?.[1]) throw new Error("sdk/README.md has no ```ts example block");
  return match[1];
}

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-pack-"));
  execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], { cwd: root, stdio: "ignore" });
  const tarball = readdirSync(work).find((name) => name.endsWith(".tgz")) as string;
  project = path.join(work, "consumer");
  mkdirSync(project);
  writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      type: "module",
      dependencies: { "agent-vault": `file:../${tarball}` },
    }),
  );
  writeFileSync(
    path.join(project, "tsconfig.json"),
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
  // Scripts are skipped: the SDK needs no native build, and this keeps the install quick.
  execFileSync("npm", ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: project,
    stdio: "ignore",
  });
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed package", () => {
  it("exposes only the SDK's built files under agent-vault/sdk", () => {
    const pkg = JSON.parse(readFileSync(path.join(project, "node_modules/agent-vault/package.json"), "utf8"));
    expect(pkg.exports["./sdk"]).toEqual({ types: "./dist/sdk/index.d.ts", default: "./dist/sdk/index.js" });
    const dist = readdirSync(path.join(project, "node_modules/agent-vault/dist/sdk"));
    expect(dist).toContain("index.js");
    expect(dist).toContain("index.d.ts");
  });

  it("type-checks the README example and runs it against a live server", async () => {
    writeFileSync(path.join(project, "consumer.ts"), readmeExample());
    const check = spawnSync(tsc, ["-p", "."], { cwd: project, encoding: "utf8" });
    expect(check.stdout + check.stderr).toBe("");
    expect(check.status).toBe(0);

    const dataDir = path.join(work, "data");
    const key = Buffer.alloc(32, 7).toString("base64");
    const created = await runCli(["user", "create", "--name", "packer", "--json"], {
      AGENT_VAULT_DATA_DIR: dataDir,
      AGENT_VAULT_MASTER_KEY: key,
    });
    const { token } = JSON.parse(created.stdout);
    const server = await startServer({ AGENT_VAULT_DATA_DIR: dataDir, AGENT_VAULT_MASTER_KEY: key });
    try {
      const run = spawnSync(process.execPath, ["consumer.js"], {
        cwd: project,
        encoding: "utf8",
        env: cleanEnv({ AGENT_VAULT_URL: `${server.url}/graphql`, AGENT_VAULT_TOKEN: token }),
      });
      expect(run.stderr).toBe("");
      expect(run.stdout.trim().split("\n")).toEqual([
        "support-bot restart required: true",
        "refused: used by support-bot",
        "deleted true",
      ]);
    } finally {
      await server.stop();
    }
  });

  it("refuses to compile a program with an unknown input field, a wrong type or a missing field", () => {
    writeFileSync(
      path.join(project, "consumer.ts"),
      [
        'import { createVaultClient } from "agent-vault/sdk";',
        'const vault = createVaultClient({ url: "http://localhost:4000/graphql", token: "t" });',
        'await vault.addSecret({ name: "A", value: "v", colour: "red" });',
        'await vault.addSecret({ name: "A", value: 42 });',
        'await vault.detachEntries({ agentId: "a" });',
        'const secret = await vault.addSecret({ name: "A", value: "v" });',
        "secret.value;",
      ].join("\n"),
    );
    const check = spawnSync(tsc, ["-p", ".", "--noEmit"], { cwd: project, encoding: "utf8" });
    expect(check.status).not.toBe(0);
    const lines = new Set([...check.stdout.matchAll(/consumer\.ts\((\d+),/g)].map((m) => Number(m[1])));
    expect([...lines].sort()).toEqual([3, 4, 5, 7]);
  });
});

// `npm run build`, which `npm install` runs by itself (prepare): everything the packages run is
// compiled JavaScript.
//   1. the Prisma clients, from the committed schemas (again only when a schema changed)
//   2. @agent-vault/sdk: tsc to sdk/dist, ESM with type declarations (a library: its
//      dependencies stay dependencies, so consumers share them)
//   3. the web console: Vite builds console/ into console/dist, which the vault serves at /
//   4. esbuild bundles, one file per entry point (the vault's server code split in lazily loaded
//      chunks): @agent-vault/cli's bin, and the vault's own client and server commands. Start-up
//      time goes to resolving and compiling modules; one bundle costs a fraction of the hundreds
//      of files yoga, Pothos and Prisma are made of.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { type BuildOptions, build, type Plugin } from "esbuild";
import { generatePrismaClients, root } from "./prisma-clients.ts";

const { values } = parseArgs({ options: { quiet: { type: "boolean" } } });
const say = (line: string) => values.quiet || process.stdout.write(`build: ${line}\n`);
const started = performance.now();

generatePrismaClients({ quiet: true });
say("Prisma clients");

execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "sdk/tsconfig.json"], { cwd: root, stdio: "inherit" });
say("@agent-vault/sdk (sdk/dist)");

// Bundled CommonJS code calls require(); in an ES module it needs one.
const requireShim = `import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);`;

// One copy of graphql for every importer, ESM or CommonJS: esbuild would bundle its CommonJS
// build for require() callers and its ES build for the others, and two copies do not recognise
// each other's types. With one copy, graphql's guard against several copies (its development
// instanceOf, costly on every field of every result) has nothing to guard: it is switched off as
// NODE_ENV=production would.
const require = createRequire(import.meta.url);
const oneGraphql: Plugin = {
  name: "one-graphql",
  setup(build) {
    const dir = path.dirname(require.resolve("graphql/package.json"));
    build.onResolve({ filter: /^graphql(\/.*)?$/ }, (args) => {
      const sub = args.path
        .slice("graphql".length)
        .replace(/^\//, "")
        .replace(/\.m?js$/, "");
      return { path: path.join(dir, `${sub || "index"}.mjs`) };
    });
    build.onLoad({ filter: /[\\/]graphql[\\/]jsutils[\\/]instanceOf\.mjs$/ }, async (args) => {
      const { readFile } = await import("node:fs/promises");
      const source = await readFile(args.path, "utf8");
      const fast = source.replace(/globalThis\.process &&[^;]*process\.env\.NODE_ENV === 'production'/, "true");
      if (fast === source) throw new Error("graphql's instanceOf changed: review the one-graphql plugin");
      return { contents: fast, loader: "js" };
    });
  },
};

const common: BuildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  mainFields: ["module", "main"],
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  banner: { js: requireShim },
  plugins: [oneGraphql],
  // Native and WebAssembly code, optional native helpers, and the opener of browsers (which runs
  // scripts that ship beside it) load from node_modules.
  external: [
    "better-sqlite3",
    "@prisma/schema-engine-wasm",
    "@prisma/schema-engine-wasm/*",
    "@prisma/client/runtime/query_compiler_*",
    "pg-native",
    "bufferutil",
    "utf-8-validate",
    "open",
  ],
};

const { build: viteBuild } = await import("vite");
// Always React's production build: run from a test (npm pack under vitest, NODE_ENV=test), Vite
// would otherwise build the console with React's development build, 60 KB more to load.
const nodeEnv = process.env.NODE_ENV;
process.env.NODE_ENV = "production";
try {
  await viteBuild({ configFile: path.join(root, "console/vite.config.ts"), logLevel: "warn", mode: "production" });
} finally {
  if (nodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = nodeEnv;
}
say("@agent-vault/console (console/dist)");

rmSync(path.join(root, "dist"), { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { "agent-vault": "cli/src/main.ts" },
    outdir: "cli/dist",
  }),
  build({ ...common, entryPoints: { cli: "cli/src/program.ts" }, outdir: "dist" }),
  build({
    ...common,
    entryPoints: { commands: "server/commands/main.ts" },
    outdir: "dist/server",
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  }),
  // The sealing and opening threads' own bundle (server/crypto/crypto-thread.ts starts it from here).
  build({ ...common, entryPoints: { "crypto-worker": "server/crypto/crypto-worker.ts" }, outdir: "dist/server" }),
]);

// `agent-vault/sdk` is @agent-vault/sdk itself, so that both names give the same classes.
mkdirSync(path.join(root, "dist"), { recursive: true });
writeFileSync(path.join(root, "dist/sdk.js"), 'export * from "@agent-vault/sdk";\n');
writeFileSync(path.join(root, "dist/sdk.d.ts"), 'export * from "@agent-vault/sdk";\n');
say(`bundles (cli/dist, dist) in ${((performance.now() - started) / 1000).toFixed(1)} s`);

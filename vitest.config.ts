import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// The suite in layers:
// - api: the SDK or HTTP against the app in process, on SQLite, and the unit tests of pure parts
//   (tests/unit); seconds a file (npm run test:api).
// - process: the real `agent-vault` command as child processes (CLI, start-up, runtime, package).
// - postgres: both again on PostgreSQL, when TEST_DATABASE_URL names a server; each vault in a
//   database of its own. Left out there: tests of the embedded default itself, of bytes only,
//   and of the npm package.
// - browser: the console in Chromium, by Playwright (npm run test:browser), not here.
const API = "tests/{api,unit}/**/*.test.ts";
const PROCESS = "tests/process/**/*.test.ts";
const SQLITE_ONLY = [
  "tests/unit/**",
  "tests/api/crypto/**",
  "tests/api/layout.test.ts",
  "tests/api/db/embedded-storage.test.ts",
  "tests/process/startup.test.ts",
  "tests/process/package.test.ts",
];

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for yoga and Pothos; Vite would pick its .mjs entry for
    // our files, and two copies of graphql do not recognise each other's errors.
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
    // The workspace's packages from their sources (tests run against the code as it is now).
    conditions: ["source"],
  },
  ssr: { resolve: { conditions: ["source"] } },
  test: {
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true as const, test: { name: "api", include: [API], env: { AGENT_VAULT_TEST_DB: "sqlite" } } },
      {
        extends: true as const,
        test: { name: "process", include: [PROCESS], env: { AGENT_VAULT_TEST_DB: "sqlite" } },
      },
      ...(process.env.TEST_DATABASE_URL
        ? [
            {
              extends: true as const,
              test: {
                name: "postgres",
                include: [API, PROCESS],
                exclude: SQLITE_ONLY,
                env: { AGENT_VAULT_TEST_DB: "postgres" },
              },
            },
          ]
        : []),
    ],
  },
});

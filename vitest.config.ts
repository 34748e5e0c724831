import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

// Every test runs on SQLite. With TEST_DATABASE_URL (a PostgreSQL server), the same tests run a
// second time on PostgreSQL, as the "postgres" project; each vault gets a database of its own.
// Left out there: tests of the embedded default itself, of bytes only, and of the npm package.
const SQLITE_ONLY = [
  "tests/crypto.test.ts",
  "tests/startup.test.ts",
  "tests/package.test.ts",
  "tests/embedded-storage.test.ts",
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
      {
        extends: true as const,
        test: { name: "sqlite", include: ["tests/**/*.test.ts"], env: { AGENT_VAULT_TEST_DB: "sqlite" } },
      },
      ...(process.env.TEST_DATABASE_URL
        ? [
            {
              extends: true as const,
              test: {
                name: "postgres",
                include: ["tests/**/*.test.ts"],
                exclude: SQLITE_ONLY,
                env: { AGENT_VAULT_TEST_DB: "postgres" },
              },
            },
          ]
        : []),
    ],
  },
});

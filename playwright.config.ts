import { defineConfig } from "@playwright/test";

// The console's end-to-end tests, in Debian's Chromium (no browser download): each test starts a
// real vault (`agent-vault serve`) on a fresh database. See ../shared/notes for the flags: this
// machine's closed network refuses Chromium's background connections.
export default defineConfig({
  testDir: "console/e2e",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  workers: 2,
  fullyParallel: true,
  reporter: process.env.CI ? "line" : "list",
  use: {
    browserName: "chromium",
    viewport: { width: 1280, height: 900 },
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});

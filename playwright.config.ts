import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./console/e2e/chromium.ts";

// The console's end-to-end tests, in Debian's Chromium (no browser download): each test starts a
// real vault (`agent-vault serve`) on a fresh database. console/e2e/chromium.ts has the flags.
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
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
});

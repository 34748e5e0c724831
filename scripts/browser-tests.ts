// The console's browser tests (Playwright in Debian's Chromium), the second half of `npm test`.
// Without a Chromium at /usr/bin/chromium (or CHROMIUM_PATH) they are skipped with a note, so that
// `npm test` works on a fresh machine; CI installs Chromium and sets AGENT_VAULT_BROWSER_TESTS=required.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { CHROMIUM_PATH } from "../console/e2e/chromium.ts";

if (!existsSync(CHROMIUM_PATH)) {
  const note = `The console's browser tests need Chromium at ${CHROMIUM_PATH} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
  if (process.env.AGENT_VAULT_BROWSER_TESTS === "required") {
    process.stderr.write(`${note}.\n`);
    process.exit(1);
  }
  process.stdout.write(`Skipped: ${note}.\n`);
  process.exit(0);
}
const bin = path.resolve(import.meta.dirname, "../node_modules/.bin/playwright");
const run = spawnSync(bin, ["test", ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(run.status ?? 1);

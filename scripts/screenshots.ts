// `npm run screenshots`: the README's pictures of the console (docs/*.png), taken in headless
// Chromium from a real vault with example data.
import path from "node:path";
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../console/e2e/chromium.ts";
import { startVault } from "../console/e2e/vault-process.ts";

const root = path.resolve(import.meta.dirname, "..");
const { vault, stop } = await startVault();
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const { sdk } = vault;
  await sdk.connectAiProvider({ provider: "ANTHROPIC", credential: "sk-ant-example-not-a-real-key" });
  await sdk.connectAiProvider({ provider: "OPENROUTER", credential: "sk-or-example-not-a-real-key" });
  const github = await sdk.addSecret({ name: "GITHUB_TOKEN", value: "ghp_example" });
  const slack = await sdk.addSecret({ name: "SLACK_BOT_TOKEN", value: "xoxb-example" });
  const level = await sdk.addVariable({ name: "LOG_LEVEL", value: "info" });
  const region = await sdk.addVariable({ name: "AWS_REGION", value: "eu-west-1" });
  const anthropic = await sdk.entryByName({ name: "ANTHROPIC_API_KEY" });
  const agent = await sdk.createAgent({
    name: "research-assistant",
    entryIds: [anthropic?.id as string, github.id, level.id, region.id],
  });
  await sdk.createAgent({ name: "triage-bot", entryIds: [slack.id, level.id] });
  await sdk.createRuntimeToken({ agentId: agent.id });
  await sdk.updateSecret({ id: github.id, value: "ghp_rotated" });
  await sdk.attachEntries({ agentId: agent.id, entryIds: [slack.id] });

  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
  await page.goto(vault.url);
  await page.getByLabel("API token").fill(vault.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("row", { name: /SLACK_BOT_TOKEN/ }).waitFor();
  await page.screenshot({ path: path.join(root, "docs/console-secrets-vault.png") });
  await page.goto(`${vault.url}/agents/${agent.id}`);
  await page.getByRole("heading", { name: "Pending changes" }).waitFor();
  await page.getByText("Restart required").waitFor();
  await page.screenshot({ path: path.join(root, "docs/console-agent.png"), fullPage: true });
  await page.goto(`${vault.url}/activity`);
  await page.getByRole("row").filter({ hasText: "Entry attached" }).first().waitFor();
  await page.screenshot({ path: path.join(root, "docs/console-activity.png") });
  process.stdout.write("docs/console-secrets-vault.png, docs/console-agent.png, docs/console-activity.png\n");
} finally {
  await browser.close();
  await stop();
}

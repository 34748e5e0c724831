// Each test gets a real vault (vault-process.ts) on a fresh database, and an SDK client with its
// first user's token, to change the vault the way another program would while the console watches.
import { AxeBuilder } from "@axe-core/playwright";
import { test as base, expect, type Page } from "@playwright/test";
import { startVault, type TestVault } from "./vault-process.ts";

export type { TestVault };

export const test = base.extend<{ vault: TestVault }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  vault: async ({}, use) => {
    const { vault, stop } = await startVault();
    await use(vault);
    await stop();
  },
});

export { expect };

/** Signs in as a person does: the token pasted into the sign-in form. */
export async function signIn(page: Page, vault: TestVault): Promise<void> {
  await page.goto(vault.url);
  await page.getByLabel("API token").fill(vault.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Secrets Vault", level: 1 })).toBeVisible();
}

/** Opens the command palette with the platform's shortcut. */
export async function openPalette(page: Page): Promise<void> {
  // The shortcut's listener is added by an effect that runs after the page first paints: a press
  // right after sign-in can come before it. Pressed again only while the palette is not open.
  const palette = page.getByRole("dialog", { name: "Command palette" });
  await expect(async () => {
    if (!(await palette.isVisible())) await page.keyboard.press(process.platform === "darwin" ? "Meta+k" : "Control+k");
    await expect(palette).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 15_000 });
}

/** No serious or critical WCAG 2.1 AA violation on the page as it is now. */
export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map(
      (violation) => `${what}: ${violation.id} (${violation.impact}) ${violation.nodes.map((n) => n.target).join(" ")}`,
    );
  expect(serious).toEqual([]);
}

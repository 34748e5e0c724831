// What no single flow shows: no value planted through the console stays anywhere in the page, its
// storage, its cookies or any response; no serious or critical accessibility violation on any page
// or dialog, in light and dark themes; no layout break from 1024 px up, readable at 390 px.
import { randomBytes } from "node:crypto";
import type { Response } from "@playwright/test";
import { expect, expectAccessible, openPalette, signIn, type TestVault, test } from "./fixtures.ts";

const marker = (label: string) => `${label}_${randomBytes(10).toString("hex")}`;

test("a value saved through the console is nowhere in the page, its storage, its cookies or any response", async ({
  page,
  context,
  vault,
}) => {
  const bodies: Promise<string>[] = [];
  page.on("response", (response: Response) => {
    // Streams (the live notices) end only with the page; their events carry names, never values.
    if (response.headers()["content-type"]?.startsWith("text/event-stream")) return;
    bodies.push(
      response.body().then(
        (body) => `${response.url()}\n${body.toString("utf8")}`,
        () => "",
      ),
    );
  });
  const markers = [
    marker("ADDED"),
    marker("UPDATED"),
    marker("IMPORTED"),
    `sk-or-${marker("PROVIDER")}`,
    marker("VERIFIED"),
  ];
  const [added, updated, imported, provider, verified] = markers as [string, string, string, string, string];
  await signIn(page, vault);

  await page.getByRole("button", { name: "Add Secret" }).click();
  const add = page.getByRole("dialog", { name: "Add Secret" });
  await add.getByLabel("Name").fill("PLANTED");
  await add.getByLabel("Value").fill(added);
  await add.getByRole("button", { name: "Save" }).click();
  await expect(add).toBeHidden();

  await page.getByRole("button", { name: "Actions for PLANTED" }).click();
  await page.getByRole("menuitem", { name: "Update value" }).click();
  const update = page.getByRole("dialog", { name: "Update PLANTED" });
  await update.getByLabel("Value").fill(updated);
  await update.getByRole("button", { name: "Save" }).click();
  await expect(update).toBeHidden();

  await page.getByRole("button", { name: "Actions for PLANTED" }).click();
  await page.getByRole("menuitem", { name: "Verify value" }).click();
  const verify = page.getByRole("dialog", { name: "Verify PLANTED" });
  await verify.getByLabel("Value to check").fill(verified);
  await verify.getByRole("button", { name: "Verify" }).click();
  await expect(verify.getByRole("status")).toBeVisible();
  await expect(verify.getByLabel("Value to check")).toHaveValue("");
  await page.keyboard.press("Escape");

  await page.getByRole("button", { name: "Import .env file" }).click();
  const importer = page.getByRole("dialog", { name: "Import .env file" });
  await importer.getByLabel("Contents of the .env file").fill(`IMPORTED_KEY=${imported}\n`);
  await importer.getByRole("button", { name: "Preview" }).click();
  await importer.getByRole("button", { name: "Import" }).click();
  await expect(importer.getByRole("status")).toContainText("1 created");
  await importer.getByRole("button", { name: "Done" }).click();

  await page.getByRole("button", { name: "Connect OpenRouter" }).click();
  const connect = page.getByRole("dialog", { name: "Connect OpenRouter" });
  await connect.getByLabel("API key", { exact: true }).fill(provider);
  await connect.getByRole("button", { name: "Connect" }).click();
  await expect(connect).toBeHidden();
  await expect(page.getByRole("row", { name: /OPENROUTER_API_KEY/ })).toBeVisible();

  await page.getByRole("button", { name: "Actions for PLANTED" }).click();
  await page.getByRole("menuitem", { name: "History" }).click();
  const versions = page.getByRole("dialog", { name: "History of PLANTED" });
  await expect(versions.getByRole("row").filter({ hasText: "v2" })).toBeVisible();
  await page.keyboard.press("Escape");

  // Every page once more, so that every query has answered.
  for (const link of ["Agents", "Activity", "Tokens", "Secrets Vault"]) {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
    await expect(page.getByRole("heading", { name: link, level: 1 })).toBeVisible();
    await page.waitForTimeout(300);
  }

  const found = (text: string) => markers.filter((value) => text.includes(value));
  expect(found(await page.content())).toEqual([]);
  expect(found(page.url())).toEqual([]);
  const stored = await page.evaluate(async () => {
    const databases = (await indexedDB.databases?.()) ?? [];
    return JSON.stringify({
      local: { ...localStorage },
      session: { ...sessionStorage },
      indexedDB: databases.map((database) => database.name),
      history: history.length,
    });
  });
  expect(found(stored)).toEqual([]);
  expect(JSON.parse(stored).indexedDB).toEqual([]);
  expect(JSON.parse(stored).local).toEqual({});
  expect(JSON.parse(stored).session).toEqual({});
  const cookies = JSON.stringify(await context.cookies());
  expect(found(cookies)).toEqual([]);
  expect(cookies).not.toContain(vault.token);
  const responses = (await Promise.all(bodies)).join("\n");
  expect(bodies.length).toBeGreaterThan(10);
  expect(found(responses)).toEqual([]);
  // The token pasted at sign-in is not kept either.
  expect(await page.content()).not.toContain(vault.token);
  expect(stored).not.toContain(vault.token);
});

async function seed(vault: TestVault) {
  const secret = await vault.sdk.addSecret({ name: "GITHUB_TOKEN", value: "ghp-a11y" });
  await vault.sdk.addVariable({ name: "LOG_LEVEL", value: "info" });
  const agent = await vault.sdk.createAgent({ name: "helper", entryIds: [secret.id] });
  await vault.sdk.updateSecret({ id: secret.id, value: "sk-a11y-2" });
  return agent;
}

for (const colorScheme of ["light", "dark"] as const) {
  test(`every page and dialog passes an accessibility scan (${colorScheme})`, async ({ page, vault }) => {
    test.setTimeout(150_000); // a scan per page and dialog: over a minute when both workers are busy
    await page.emulateMedia({ colorScheme });
    const agent = await seed(vault);
    await vault.sdk.connectAiProvider({ provider: "OPENROUTER", credential: "sk-or-a11y" });
    await page.goto(vault.url);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    await expectAccessible(page, "sign in");
    await signIn(page, vault);
    await expectAccessible(page, "Secrets Vault");

    const dialogs: [string, string][] = [
      ["Add Secret", "Add Secret"],
      ["Add Variable", "Add Variable"],
      ["Import .env file", "Import .env file"],
      ["Connect OpenAI", "Connect OpenAI"],
      ["Connect Anthropic", "Connect Anthropic"],
      ["Replace OpenRouter key", "Connect OpenRouter"],
    ];
    for (const [button, title] of dialogs) {
      await page.getByRole("button", { name: button }).click();
      await expect(page.getByRole("dialog", { name: title })).toBeVisible();
      await expectAccessible(page, title);
      await page.keyboard.press("Escape");
      await expect(page.getByRole("dialog", { name: title })).toBeHidden();
    }
    await page.getByRole("button", { name: "Actions for LOG_LEVEL" }).click();
    await expect(page.getByRole("menu")).toBeVisible();
    await expectAccessible(page, "row menu");
    await page.keyboard.press("Escape");
    for (const name of ["GITHUB_TOKEN", "LOG_LEVEL"]) {
      await page.getByRole("button", { name: `Actions for ${name}` }).click();
      await page.getByRole("menuitem", { name: "History" }).click();
      const history = page.getByRole("dialog", { name: `History of ${name}` });
      await expect(history.getByRole("row").filter({ hasText: "v1" })).toBeVisible();
      await expectAccessible(page, `history of ${name}`);
      await page.keyboard.press("Escape");
      await expect(history).toBeHidden();
    }
    await openPalette(page);
    await expectAccessible(page, "palette");
    await page.keyboard.press("Escape");

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
    await expect(page.getByRole("heading", { name: "Agents", level: 1 })).toBeVisible();
    await expectAccessible(page, "Agents");
    await page.getByRole("button", { name: "Create agent" }).click();
    await expectAccessible(page, "Create agent");
    await page.keyboard.press("Escape");
    await page.getByRole("link", { name: "helper" }).first().click();
    await expect(page.getByRole("heading", { name: "helper", level: 1 })).toBeVisible();
    await expect(page.getByText("Restart required")).toBeVisible();
    await expectAccessible(page, "agent page");
    await page.getByRole("button", { name: "Restart", exact: true }).click();
    await expect(page.getByRole("dialog", { name: "Restart helper?" })).toBeVisible();
    await expectAccessible(page, "asking before a restart");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Add limit" }).click();
    await expect(page.getByRole("dialog", { name: "Add limit" })).toBeVisible();
    await expectAccessible(page, "Add limit");
    await page.keyboard.press("Escape");
    await page.goto(`${vault.url}/agents/${agent.id}`);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tokens" }).click();
    await expect(page.getByRole("heading", { name: "Tokens", level: 1 })).toBeVisible();
    await expectAccessible(page, "Tokens");
    await page
      .getByRole("button", { name: /^Revoke / })
      .first()
      .click();
    await expect(page.getByRole("dialog", { name: /^Revoke .*\?$/ })).toBeVisible();
    await expectAccessible(page, "asking before a revocation");
    await page.keyboard.press("Escape");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    await expect(page.getByRole("row").filter({ hasText: "Entry updated" })).toBeVisible();
    await page.getByRole("button", { name: "Verify chain" }).click();
    await expect(page.getByRole("status").filter({ hasText: "chain" })).toBeVisible();
    await expectAccessible(page, "Activity");
  });
}

test("the keyboard alone: Tab reaches the controls, dialogs trap focus and close on Escape", async ({
  page,
  vault,
}) => {
  await signIn(page, vault);
  const addSecret = page.getByRole("button", { name: "Add Secret" });
  for (let i = 0; i < 15 && !(await addSecret.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  await expect(addSecret).toBeFocused();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Add Secret" });
  await expect(dialog.getByLabel("Name")).toBeFocused();
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press("Tab");
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(addSecret).toBeFocused();
});

for (const width of [1024, 1440]) {
  test(`no layout break at ${width} px`, async ({ page, vault }) => {
    await seed(vault);
    await page.setViewportSize({ width, height: 800 });
    await signIn(page, vault);
    for (const link of ["Secrets Vault", "Agents", "Activity", "Tokens"]) {
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link }).click();
      await expect(page.getByRole("heading", { name: link, level: 1 })).toBeVisible();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, link).toBeLessThanOrEqual(0);
    }
  });
}

test("readable at 390 px: the page does not scroll sideways, the table scrolls in its box", async ({ page, vault }) => {
  await seed(vault);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, vault);
  // The provider cards are above the entries: once they are in, Add Secret must still be on the first screen.
  await expect(page.getByRole("article", { name: "Anthropic" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Add Secret" })).toBeInViewport();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.getByRole("row", { name: /LOG_LEVEL/ })).toBeVisible();
});

// The console as a person uses it: every flow of the Secrets Vault page, agents, the palette and
// live banners, found by role and visible name.
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createRuntimeClient } from "@agent-vault/sdk";
import { OAuth2Server } from "oauth2-mock-server";
import { expect, expectAccessible, openPalette, signIn, test } from "./fixtures.ts";
import { BIN, startVault } from "./vault-process.ts";

test("sign in with a token, and sign out: the session ends on the server", async ({ page, vault, context }) => {
  await page.goto(vault.url);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("API token").fill("avt_not_a_real_token");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText(/token/i);

  await page.getByLabel("API token").fill(vault.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Secrets Vault", level: 1 })).toBeVisible();
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({ name: "agent_vault_session", httpOnly: true, sameSite: "Strict" });

  // The page survives a reload: the session is the cookie's.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Secrets Vault", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  // The old cookie, sent again, is refused: the server ended the session.
  const replay = await fetch(`${vault.url}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-agent-vault-csrf": "1",
      cookie: `${cookie?.name}=${cookie?.value}`,
    },
    body: JSON.stringify({ query: "{ viewer { id } }" }),
  });
  expect(replay.status).toBe(401);
});

test("connect a provider from the palette; disconnecting one in use names its agents", async ({ page, vault }) => {
  await signIn(page, vault);
  await openPalette(page);
  await page.getByRole("option", { name: "Connect Anthropic" }).click();
  const dialog = page.getByRole("dialog", { name: "Connect Anthropic" });
  await dialog.getByLabel("API key", { exact: true }).fill("sk-ant-e2e-key");
  await dialog.getByRole("button", { name: "Connect" }).click();
  await expect(dialog).toBeHidden();
  const card = page.getByRole("article", { name: "Anthropic" });
  await expect(card.getByText("Connected", { exact: true })).toBeVisible();
  await expect(card.getByText("ANTHROPIC_API_KEY")).toBeVisible();

  const secret = await vault.sdk.entryByName({ name: "ANTHROPIC_API_KEY" });
  await vault.sdk.createAgent({ name: "claude-bot", entryIds: [secret?.id as string] });
  await card.getByRole("button", { name: "Disconnect Anthropic" }).click();
  await expect(card.getByRole("alert")).toContainText("claude-bot");
  await expect(card.getByRole("alert")).toContainText("detach it before disconnecting Anthropic");
  await expect(card.getByRole("link", { name: "claude-bot" })).toBeVisible();

  // Replacing the key says which agents get the new one.
  await card.getByRole("button", { name: "Replace Anthropic key" }).click();
  await expect(dialog).toContainText("which agent claude-bot uses: it gets the new key when it restarts");
});

test("OpenAI's dialog offers the Codex subscription command, and turns Connected when the CLI finishes", async ({
  page,
  vault,
}) => {
  await signIn(page, vault);
  await page.getByRole("button", { name: "Connect OpenAI" }).click();
  const dialog = page.getByRole("dialog", { name: "Connect OpenAI" });
  await expect(dialog.getByRole("tab", { name: "Codex Subscription" })).toHaveAttribute("aria-selected", "true");
  await expect(dialog.getByText("agent-vault auth openai --oauth")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Copy command" })).toBeVisible();
  // What `agent-vault auth openai --oauth` sends when the sign-in finishes.
  await vault.sdk.connectAiProvider({ provider: "OPENAI", method: "OAUTH", credential: "oauth-e2e", expiresIn: 3600 });
  await expect(dialog.getByRole("status")).toHaveText("Connected");
  await dialog.getByRole("tab", { name: "API Key" }).click();
  await expect(dialog.getByLabel("API key", { exact: true })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("article", { name: "OpenAI" }).getByText("Connected", { exact: true })).toBeVisible();
});

test("OpenAI's Codex subscription signs in from the console against the operator's OAuth issuer", async ({ page }) => {
  const issuer = new OAuth2Server();
  await issuer.issuer.keys.generate("RS256");
  await issuer.start(0, "127.0.0.1");
  const { vault, stop } = await startVault({
    AGENT_VAULT_OPENAI_ISSUER: issuer.issuer.url as string,
    AGENT_VAULT_ALLOW_LOOPBACK_ISSUER: "true",
    AGENT_VAULT_OPENAI_CLIENT_ID: "console-e2e",
  });
  try {
    await signIn(page, vault);
    await page.getByRole("button", { name: "Connect OpenAI" }).click();
    const dialog = page.getByRole("dialog", { name: "Connect OpenAI" });
    await expect(dialog.getByText("agent-vault auth openai --oauth")).toBeVisible();
    await expectAccessible(page, "the Codex subscription's sign-in");
    // The issuer approves at once and sends the browser back to the vault's callback page.
    await dialog.getByRole("button", { name: "Sign in with ChatGPT" }).click();
    await expect(page.getByRole("heading", { name: "Connect OpenAI", level: 1 })).toBeVisible();
    await expect(page.getByRole("status")).toContainText("OpenAI is connected through your Codex subscription");
    expect(page.url()).toBe(`${vault.url}/oauth/openai/callback`);
    await expectAccessible(page, "the OAuth callback page");
    await page.getByRole("link", { name: "Back to the Secrets Vault" }).click();
    const card = page.getByRole("article", { name: "OpenAI" });
    await expect(card.getByText("Connected", { exact: true })).toBeVisible();
    const connected = (await vault.sdk.aiProviders()).find((c) => c.provider === "OPENAI");
    expect(connected).toMatchObject({ connected: true, method: "OAUTH" });
  } finally {
    await stop();
    await issuer.stop();
  }
});

test("without an OAuth client id, the Codex tab says what the operator sets, and keeps the terminal's way", async ({
  page,
  vault,
}) => {
  await signIn(page, vault);
  await page.getByRole("button", { name: "Connect OpenAI" }).click();
  const dialog = page.getByRole("dialog", { name: "Connect OpenAI" });
  await expect(dialog).toContainText("Signing in from the console is not set up on this vault");
  await expect(dialog).toContainText("AGENT_VAULT_OPENAI_CLIENT_ID");
  await expect(dialog.getByRole("button", { name: "Sign in with ChatGPT" })).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Copy command" })).toBeVisible();
});

test("add a secret and a variable; the name is checked as it is typed", async ({ page, vault }) => {
  await signIn(page, vault);
  await page.getByRole("button", { name: "Add Secret" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Secret" });
  await expect(dialog.getByText("cannot be viewed after saving")).toBeVisible();
  await dialog.getByLabel("Name").fill("9LIVES");
  await expect(dialog.getByText(/starts with a letter or underscore/)).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Save" })).toBeDisabled();
  await dialog.getByLabel("Name").fill("GITHUB_TOKEN");
  await expect(dialog.getByLabel("Value")).toHaveClass(/masked/);
  await expect(dialog.getByLabel("Value")).toHaveAttribute("autocomplete", "off");
  await dialog.getByLabel("Value").fill("ghp_e2e");
  // Hidden until shown, and hidden again.
  const show = dialog.getByRole("button", { name: "Show value" });
  await show.click();
  await expect(show).toHaveAttribute("aria-pressed", "true");
  await expect(dialog.getByLabel("Value")).not.toHaveClass(/masked/);
  await show.click();
  await expect(dialog.getByLabel("Value")).toHaveClass(/masked/);
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();

  await page.getByRole("button", { name: "Add Variable" }).click();
  const variable = page.getByRole("dialog", { name: "Add Variable" });
  await variable.getByLabel("Name").fill("LOG_LEVEL");
  await variable.getByLabel("Value").fill("debug");
  await variable.getByRole("button", { name: "Save" }).click();
  await expect(variable).toBeHidden();

  const table = page.getByRole("table");
  const secretRow = table.getByRole("row", { name: /GITHUB_TOKEN/ });
  await expect(secretRow).toContainText("Secret");
  await expect(secretRow).toContainText("v1");
  await expect(secretRow).not.toContainText("ghp_e2e");
  await expect(table.getByRole("row", { name: /LOG_LEVEL/ })).toContainText("debug");

  // A name taken is refused with the server's message.
  await page.getByRole("button", { name: "Add Variable" }).click();
  await variable.getByLabel("Name").fill("LOG_LEVEL");
  await variable.getByLabel("Value").fill("info");
  await variable.getByRole("button", { name: "Save" }).click();
  await expect(variable.getByRole("alert")).toContainText("LOG_LEVEL");
  // What was typed stays, and a refused name says why in words.
  await expect(variable.getByLabel("Value")).toHaveValue("info");
  await variable.getByLabel("Name").fill("PATH");
  await variable.getByRole("button", { name: "Save" }).click();
  await expect(variable.getByRole("alert")).toHaveText(
    "PATH is refused: the agent's process takes it from its own machine (where it finds programs, and who it is)",
  );
  await expect(variable.getByLabel("Value")).toHaveValue("info");

  // Search and filter.
  await page.keyboard.press("Escape");
  await page.getByRole("searchbox", { name: "Search entries" }).fill("git");
  await expect(table.getByRole("row", { name: /LOG_LEVEL/ })).toHaveCount(0);
  await expect(table.getByRole("row", { name: /GITHUB_TOKEN/ })).toBeVisible();
  await page.getByRole("searchbox", { name: "Search entries" }).fill("");
  await page.getByLabel("Kind").selectOption("VARIABLE");
  await expect(table.getByRole("row", { name: /GITHUB_TOKEN/ })).toHaveCount(0);
});

test("a 4-line PEM key pasted into Add Secret reaches the agent's environment byte for byte", async ({
  page,
  vault,
}) => {
  const agent = await vault.sdk.createAgent({ name: "signer" });
  const { token } = await vault.sdk.createRuntimeToken({ agentId: agent.id });
  const runtime = createRuntimeClient({ url: `${vault.url}/graphql`, token });
  const body =
    "MIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==";
  const pems = {
    SIGNING_KEY_LF: `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
    SIGNING_KEY_CRLF: `-----BEGIN PRIVATE KEY-----\r\n${body.replace("\n", "\r\n")}\r\n-----END PRIVATE KEY-----\r\n`,
  };
  await signIn(page, vault);
  for (const [name, pem] of Object.entries(pems)) {
    await page.getByRole("button", { name: "Add Secret" }).click();
    const dialog = page.getByRole("dialog", { name: "Add Secret" });
    await dialog.getByLabel("Name").fill(name);
    const value = dialog.getByLabel("Value");
    await value.focus();
    // A paste as the browser makes it: the clipboard's text in a paste event.
    await value.evaluate((element, text) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      element.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, pem);
    await expect(value).toHaveValue(pem.replaceAll("\r\n", "\n"));
    await dialog.getByRole("checkbox", { name: "signer" }).check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect(dialog).toBeHidden();
  }
  const { environment } = await runtime.environment();
  expect(environment.SIGNING_KEY_LF).toBe(pems.SIGNING_KEY_LF);
  expect(environment.SIGNING_KEY_CRLF).toBe(pems.SIGNING_KEY_CRLF);
});

test("update and verify a secret from its row's menu", async ({ page, vault }) => {
  await vault.sdk.addSecret({ name: "STRIPE_KEY", value: "sk_live_one" });
  await signIn(page, vault);
  await page.getByRole("button", { name: "Actions for STRIPE_KEY" }).click();
  await page.getByRole("menuitem", { name: "Update value" }).click();
  const dialog = page.getByRole("dialog", { name: "Update STRIPE_KEY" });
  await expect(dialog.getByLabel("Value")).toHaveValue("");
  await dialog.getByLabel("Value").fill("sk_live_two");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("row", { name: /STRIPE_KEY/ })).toContainText("v2");

  await page.getByRole("button", { name: "Actions for STRIPE_KEY" }).focus();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("menu")).toBeVisible();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(page.getByRole("menuitem", { name: "Verify value" })).toBeFocused();
  await page.keyboard.press("Enter");
  const verify = page.getByRole("dialog", { name: "Verify STRIPE_KEY" });
  await verify.getByLabel("Value to check").fill("sk_live_two");
  await verify.getByRole("button", { name: "Verify" }).click();
  await expect(verify.getByRole("status")).toHaveText("It matches the stored value.");
  await verify.getByLabel("Value to check").fill("sk_live_one");
  await verify.getByRole("button", { name: "Verify" }).click();
  await expect(verify.getByRole("status")).toHaveText("It does not match the stored value.");
});

test("import a .env file through its plan", async ({ page, vault }) => {
  await vault.sdk.addVariable({ name: "REGION", value: "eu" });
  await signIn(page, vault);
  await page.getByRole("button", { name: "Import .env file" }).click();
  const dialog = page.getByRole("dialog", { name: "Import .env file" });
  await dialog.getByLabel("Contents of the .env file").fill("REGION=us\nNEW_ONE=1\nbroken line\n");
  await dialog.getByText("Variables", { exact: true }).click();
  await dialog.getByRole("button", { name: "Preview" }).click();
  await expect(dialog.getByRole("alert")).toContainText("Line 3");

  await dialog.getByLabel("Contents of the .env file").fill("REGION=us\nNEW_ONE=1\nEMPTY=\n");
  await dialog.getByLabel("When a name already exists").selectOption("OVERWRITE");
  await dialog.getByLabel("Skip lines with an empty value").check();
  await dialog.getByRole("button", { name: "Preview" }).click();
  const plan = dialog.getByRole("region", { name: "Plan" });
  await expect(plan).toContainText("Created (1)");
  await expect(plan).toContainText("NEW_ONE");
  await expect(plan).toContainText("Updated (1)");
  await expect(plan).toContainText("Skipped (1)");
  // Nothing is written by the plan.
  expect(await vault.sdk.entryByName({ name: "NEW_ONE" })).toBeNull();

  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog.getByRole("status")).toContainText("1 created, 1 updated");
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /NEW_ONE/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /REGION/ })).toContainText("us");
});

test("an import's plan sets each line's kind: one file gives a secret and a variable", async ({ page, vault }) => {
  await signIn(page, vault);
  await page.getByRole("button", { name: "Import .env file" }).click();
  const dialog = page.getByRole("dialog", { name: "Import .env file" });
  await dialog.getByLabel("Contents of the .env file").fill("MODEL_KEY=sk-kinds-e2e\nLOG_LEVEL=debug\n");
  await dialog.getByRole("button", { name: "Preview" }).click();
  const plan = dialog.getByRole("region", { name: "Plan" });
  await expect(plan).toContainText("Created (2)");
  await plan.getByText("Kind of each entry").click();
  await expect(plan.getByLabel("Kind of MODEL_KEY")).toHaveValue("SECRET");
  await plan.getByLabel("Kind of LOG_LEVEL").selectOption("VARIABLE");
  await expect(plan.getByLabel("Kind of LOG_LEVEL")).toHaveValue("VARIABLE");
  await expectAccessible(page, "an import's plan with each line's kind");
  await dialog.getByRole("button", { name: "Import" }).click();
  await expect(dialog.getByRole("status")).toContainText("2 created");
  expect(await vault.sdk.entryByName({ name: "MODEL_KEY" })).toMatchObject({ __typename: "Secret" });
  expect(await vault.sdk.entryByName({ name: "LOG_LEVEL" })).toMatchObject({ __typename: "Variable", value: "debug" });
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /LOG_LEVEL/ })).toContainText("debug");
});

test("while a large vault's list is still loading, a search and the entry picker ask the vault", async ({
  page,
  vault,
}) => {
  const lines = Array.from({ length: 1500 }, (_, i) => `BULK_${String(i).padStart(4, "0")}=v${i}`).join("\n");
  await vault.sdk.importEnv({ content: lines, kind: "VARIABLE" });
  // The list's pages after the first are held back: the console stays at 100 of 1,500.
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route("**/graphql", async (route) => {
    const body = route.request().postData() ?? "";
    if (body.includes("query Entries") && body.includes('"after"')) await held;
    await route.continue().catch(() => {});
  });
  try {
    await signIn(page, vault);
    await expect(page.getByRole("status").filter({ hasText: "Loading 100 of 1500" })).toBeVisible();
    await page.getByLabel("Search entries").fill("bulk_1499");
    await expect(page.getByRole("row", { name: /BULK_1499/ })).toBeVisible();

    await openPalette(page);
    await page.getByRole("option", { name: "Create agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Create agent" });
    await dialog.getByLabel("Name").fill("late-bot");
    await dialog.getByRole("button", { name: "Next" }).click();
    await dialog.getByPlaceholder("Filter by name").fill("BULK_1498");
    await dialog.getByRole("checkbox", { name: /BULK_1498/ }).check();
    await dialog.getByRole("button", { name: "Create" }).click();
    await expect(page.getByRole("heading", { name: "late-bot", level: 1 })).toBeVisible();
    await expect(page.getByRole("button", { name: "Detach BULK_1498" })).toBeVisible();
  } finally {
    release();
  }
});

test("a vault larger than 10,000 entries: the first 10,000 are listed, more at the end of the list, a search finds the rest", async ({
  page,
  vault,
}) => {
  const lines = Array.from({ length: 10_100 }, (_, i) => `MANY_${String(i).padStart(5, "0")}=v`).join("\n");
  await vault.sdk.importEnv({ content: lines, kind: "VARIABLE" });
  // The last by name, changed last: first by "Updated", descending, though not loaded.
  const last = await vault.sdk.entryByName({ name: "MANY_10099" });
  await vault.sdk.updateVariable({ id: last?.id as string, value: "changed" });
  await signIn(page, vault);
  const status = page.getByRole("status").filter({ hasText: "Showing 10000 of 10100" });
  await expect(status).toBeVisible({ timeout: 60_000 });
  await page.getByLabel("Search entries").fill("many_10099");
  await expect(page.getByRole("row", { name: /MANY_10099/ })).toBeVisible();
  await page.getByLabel("Search entries").fill("");
  await expect(page.getByRole("row", { name: /MANY_10099/ })).toHaveCount(0);

  // Sorted by another column, the vault sorts them all: the entry changed last comes first.
  const updated = page.getByRole("button", { name: "Updated" });
  await updated.click();
  await updated.click();
  await expect(page.getByRole("columnheader", { name: /Updated/ })).toHaveAttribute("aria-sort", "descending");
  await expect(page.getByRole("status").filter({ hasText: "sorted by the vault" })).toBeVisible();
  await expect(page.getByRole("row", { name: /MANY_/ }).first()).toContainText("MANY_10099");
  // A value changed here moves its entry where the vault's order puts it: first, changed last.
  await expect(page.getByRole("row", { name: /MANY_/ }).nth(1)).toContainText("MANY_10098");
  await page.getByRole("button", { name: "Actions for MANY_10098" }).click();
  await page.getByRole("menuitem", { name: "Update value" }).click();
  const dialog = page.getByRole("dialog", { name: "Update MANY_10098" });
  await dialog.getByLabel("Value").fill("changed too");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("row", { name: /MANY_/ }).first()).toContainText("MANY_10098");
  await expect(page.getByRole("row", { name: /MANY_/ }).first()).toContainText("v2");
  await expect(page.getByRole("row", { name: /MANY_/ }).nth(1)).toContainText("MANY_10099");
  await page.getByRole("button", { name: "Name" }).click();
  await expect(page.getByRole("row", { name: /MANY_10099/ })).toHaveCount(0);

  // Scrolled to the end, the list loads the rest.
  const list = page.getByRole("region", { name: "Entries" });
  await expect(async () => {
    await list.evaluate((element) => {
      element.scrollTop = element.scrollHeight;
    });
    await expect(page.getByRole("row", { name: /MANY_10099/ })).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
  await expect(status).toHaveCount(0);
});

test("create an agent with entries, attach after creation, see a live banner, restart", async ({ page, vault }) => {
  const secret = await vault.sdk.addSecret({ name: "API_KEY", value: "one" });
  await vault.sdk.addVariable({ name: "MODE", value: "fast" });
  await signIn(page, vault);

  await openPalette(page);
  await page.getByRole("option", { name: "Create agent" }).click();
  const dialog = page.getByRole("dialog", { name: "Create agent" });
  await dialog.getByLabel("Name").fill("research-bot");
  await dialog.getByRole("button", { name: "Next" }).click();
  await dialog.getByRole("checkbox", { name: /API_KEY/ }).check();
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { name: "research-bot", level: 1 })).toBeVisible();
  const secrets = page.getByRole("region", { name: "Secrets" });
  await expect(secrets.getByText("API_KEY")).toBeVisible();

  await secrets.getByRole("button", { name: "Attach from the vault" }).click();
  const attach = page.getByRole("dialog", { name: "Attach from the vault" });
  await attach.getByRole("checkbox", { name: /MODE/ }).check();
  await attach.getByRole("button", { name: "Attach" }).click();
  await expect(secrets.getByText("MODE")).toBeVisible();
  await expect(page.getByText("Restart required")).toBeVisible();
  await page.getByRole("button", { name: "Restart", exact: true }).click();
  const ask = page.getByRole("dialog", { name: "Restart research-bot?" });
  await expect(ask).toContainText("MODE added");
  await ask.getByRole("button", { name: "Restart" }).click();
  await expect(page.getByText("Restart required")).toBeHidden();

  // Another program changes a secret: a banner names the agent and the change, without a reload.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
  await vault.sdk.updateSecret({ id: secret.id, value: "two" });
  const banner = page.getByRole("region", { name: "Restart notices" }).getByRole("status");
  await expect(banner).toContainText("research-bot needs a restart");
  await expect(banner).toContainText("API_KEY updated");
  await expect(page.getByRole("listitem").filter({ hasText: "research-bot" })).toContainText("Restart required");
  await expect(page.getByText("1 pending change")).toBeVisible();
  await banner.getByRole("button", { name: "Restart research-bot" }).click();
  // Cancelled, nothing happens; confirmed, the agent restarts.
  await page.getByRole("dialog", { name: "Restart research-bot?" }).getByRole("button", { name: "Cancel" }).click();
  await expect(banner).toBeVisible();
  await banner.getByRole("button", { name: "Restart research-bot" }).click();
  await page.getByRole("dialog", { name: "Restart research-bot?" }).getByRole("button", { name: "Restart" }).click();
  await expect(banner).toBeHidden();
  await expect(page.getByText("Restart required")).toBeHidden();
});

test("deleting an entry in use is refused with its agents; detach there, then delete", async ({ page, vault }) => {
  const secret = await vault.sdk.addSecret({ name: "DB_PASSWORD", value: "hunter2" });
  await vault.sdk.createAgent({ name: "db-bot", entryIds: [secret.id] });
  await signIn(page, vault);
  await expect(page.getByRole("row", { name: /DB_PASSWORD/ }).getByRole("link", { name: "db-bot" })).toBeVisible();
  await page.getByRole("button", { name: "Actions for DB_PASSWORD" }).click();
  await page.getByRole("menuitem", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete DB_PASSWORD?" });
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog.getByRole("alert")).toContainText("db-bot");
  await dialog.getByRole("button", { name: "Detach from db-bot" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("row", { name: /DB_PASSWORD/ })).toHaveCount(0);
  expect(await vault.sdk.entryByName({ name: "DB_PASSWORD" })).toBeNull();
});

test("several entries selected and deleted at once: the one in use is kept and named with its agent", async ({
  page,
  vault,
}) => {
  await vault.sdk.addSecret({ name: "OLD_KEY", value: "old-key-value" });
  await vault.sdk.addVariable({ name: "OLD_REGION", value: "eu" });
  const used = await vault.sdk.addSecret({ name: "LIVE_KEY", value: "live-key-value" });
  await vault.sdk.createAgent({ name: "live-bot", entryIds: [used.id] });
  await vault.sdk.addVariable({ name: "KEEP_ME", value: "kept" });
  await signIn(page, vault);
  for (const name of ["OLD_KEY", "OLD_REGION", "LIVE_KEY"]) await page.getByLabel(`Select ${name}`).check();
  await expect(page.getByText("3 selected")).toBeVisible();
  await page.getByRole("button", { name: "Delete selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete 3 entries?" });
  await expect(dialog).toContainText("LIVE_KEY");
  await expectAccessible(page, "the dialog deleting several entries");
  await dialog.getByRole("button", { name: "Delete" }).click();
  await expect(dialog.getByRole("status")).toContainText("Deleted 2; not deleted 1.");
  await expect(dialog.getByRole("alert")).toContainText("LIVE_KEY: used by live-bot");
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("row", { name: /OLD_KEY|OLD_REGION/ })).toHaveCount(0);
  await expect(page.getByRole("row", { name: /LIVE_KEY/ })).toBeVisible();
  await expect(page.getByRole("row", { name: /KEEP_ME/ })).toBeVisible();
  expect(await vault.sdk.entryByName({ name: "OLD_KEY" })).toBeNull();
  expect(await vault.sdk.entryByName({ name: "LIVE_KEY" })).not.toBeNull();
});

test("an agent's runtime tokens: created and shown once, revoked", async ({ page, vault }) => {
  const agent = await vault.sdk.createAgent({ name: "runner" });
  await signIn(page, vault);
  await page.goto(`${vault.url}/agents/${agent.id}`);
  const tokens = page.getByRole("region", { name: "Runtime tokens" });
  await tokens.getByRole("button", { name: "Create runtime token" }).click();
  const shown = page.getByRole("dialog", { name: "Runtime token" });
  await expect(shown.getByText(/^avr_/)).toBeVisible();
  await expect(shown.getByRole("button", { name: "Copy" })).toBeVisible();
  await shown.getByRole("button", { name: "Done" }).click();
  await expect(page.getByText(/avr_/)).toHaveCount(0);
  await expect(tokens.getByRole("listitem")).toHaveCount(1);
  await tokens.getByRole("button", { name: /Revoke runtime token/ }).click();
  await expect(tokens.getByRole("listitem")).toHaveCount(0);
});

test("the Tokens page creates (shown once) and revokes API tokens", async ({ page, vault }) => {
  await signIn(page, vault);
  await page.getByRole("link", { name: "Tokens" }).click();
  await page.getByLabel("Token name").fill("ci");
  await expect(page.getByRole("region", { name: "From a shell" })).toContainText(
    `export AGENT_VAULT_URL=${vault.url}/graphql`,
  );
  await page.getByRole("checkbox", { name: "tokens:manage" }).uncheck();
  await page.getByLabel("Expires").selectOption({ label: "In 30 days" });
  await page.getByRole("button", { name: "Create token" }).click();
  const shown = page.getByRole("dialog", { name: "API token" });
  await expect(shown.getByText(/^avt_/)).toBeVisible();
  // The lines to paste into a shell hold the new token, and work: the CLI signs in with them.
  const lines = (await shown.locator("pre").textContent()) ?? "";
  const token = /^avt_\w+$/.exec((await shown.getByText(/^avt_/).textContent()) ?? "")?.[0] as string;
  expect(lines).toBe(`export AGENT_VAULT_URL=${vault.url}/graphql\nexport AGENT_VAULT_TOKEN=${token}`);
  const env = Object.fromEntries(lines.split("\n").map((line) => line.replace("export ", "").split("=", 2)));
  await vault.sdk.addVariable({ name: "SHELL_CHECK", value: "reached" });
  const cli = execFileSync(process.execPath, [BIN, "variables", "list", "--json"], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  expect(JSON.parse(String(cli))).toContainEqual(expect.objectContaining({ name: "SHELL_CHECK", value: "reached" }));
  await shown.getByRole("button", { name: "Done" }).click();
  const row = page.getByRole("row", { name: /ci/ });
  await expect(row).toContainText("Active");
  await expect(row).not.toContainText("tokens:manage");
  const created = (await vault.sdk.viewer()).apiTokens.find((token) => token.name === "ci");
  expect(created?.scopes).not.toContain("TOKENS_MANAGE");
  expect(created?.scopes).toContain("ENTRIES_READ");
  const days = (Date.parse(created?.expiresAt ?? "") - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(29);
  expect(days).toBeLessThanOrEqual(30);
  await row.getByRole("button", { name: "Revoke ci" }).click();
  const ask = page.getByRole("dialog", { name: "Revoke ci?" });
  await expect(ask).toContainText("stops working at once");
  await expect(ask).not.toContainText("this session");
  await ask.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
});

test("revoking the session's own token asks first, says so, and the last one needs its name typed", async ({
  page,
  vault,
}) => {
  await signIn(page, vault);
  await page.getByRole("link", { name: "Tokens" }).click();
  const row = page.getByRole("row", { name: /this session/ });
  const name = ((await row.getByRole("rowheader").textContent()) ?? "").replace(" (this session)", "");
  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  const ask = page.getByRole("dialog", { name: `Revoke ${name}?` });
  await expect(ask).toContainText("It is the token of this session");
  await expect(ask).toContainText("It is your last active token");
  await expect(ask).toContainText("agent-vault user token --user");
  const revoke = ask.getByRole("button", { name: "Revoke" });
  await expect(revoke).toBeDisabled();
  await ask.getByLabel(`Type ${name} to confirm`).fill("not it");
  await expect(revoke).toBeDisabled();
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toContainText("Active");
  expect((await vault.sdk.viewer()).apiTokens.every((token) => token.revokedAt === null)).toBe(true);

  await row.getByRole("button", { name: `Revoke ${name}` }).click();
  await ask.getByLabel(`Type ${name} to confirm`).fill(name);
  await ask.getByRole("button", { name: "Revoke" }).click();
  // The session ended with its token: the sign-in form is back.
  await expect(page.getByLabel("API token")).toBeVisible();
});

test("the palette jumps to agents and entries by name, never by value", async ({ page, vault }) => {
  await vault.sdk.addVariable({ name: "HOME_URL", value: "needle-in-value" });
  await vault.sdk.createAgent({ name: "scout" });
  await signIn(page, vault);
  await openPalette(page);
  await page.keyboard.type("needle");
  await expect(page.getByRole("option")).toHaveCount(0);
  await page.getByRole("combobox").fill("scout");
  await page.getByRole("option", { name: /^scout/ }).click();
  await expect(page.getByRole("heading", { name: "scout", level: 1 })).toBeVisible();
  await openPalette(page);
  await page.getByRole("combobox").fill("HOME_U");
  await page.getByRole("option", { name: /HOME_URL/ }).click();
  await expect(page.getByRole("heading", { name: "Secrets Vault", level: 1 })).toBeVisible();
  await expect(page.getByRole("searchbox", { name: "Search entries" })).toHaveValue("HOME_URL");
  await openPalette(page);
  await page.getByRole("combobox").fill("Restart scout");
  await expect(page.getByRole("option", { name: "Restart scout" })).toBeVisible();
});

test("on an agent's page, a change made elsewhere shows a banner and the pending change; Restart clears both", async ({
  page,
  vault,
}) => {
  const secret = await vault.sdk.addSecret({ name: "TOKEN", value: "one" });
  const agent = await vault.sdk.createAgent({ name: "watcher", entryIds: [secret.id] });
  await vault.sdk.restartAgent({ agentId: agent.id });
  await signIn(page, vault);
  await page.goto(`${vault.url}/agents/${agent.id}`);
  await expect(page.getByRole("heading", { name: "watcher", level: 1 })).toBeVisible();
  await expect(page.getByText("Restart required")).toBeHidden();

  await vault.sdk.updateSecret({ id: secret.id, value: "two" });
  await expect(page.getByRole("status").filter({ hasText: "watcher needs a restart" })).toContainText("TOKEN updated");
  await expect(page.getByText("Restart required")).toBeVisible();
  await expect(page.getByRole("region", { name: "Pending changes" })).toContainText("UPDATED");
  await page.getByRole("button", { name: "Restart", exact: true }).click();
  await page.getByRole("dialog", { name: "Restart watcher?" }).getByRole("button", { name: "Restart" }).click();
  await expect(page.getByText("Restart required")).toBeHidden();
  await expect(page.getByRole("status").filter({ hasText: "needs a restart" })).toBeHidden();
  await expect(page.getByText("Last restarted")).toBeVisible();
});

test("an entry's history from its menu: versions by fingerprint only; restoring one makes a new version its agents must restart for", async ({
  page,
  vault,
}) => {
  const values = ["hist-value-one-5f1c", "hist-value-two-8a2e", "hist-value-three-c93d"];
  const secret = await vault.sdk.addSecret({ name: "OPENAI_API_KEY", value: values[0] as string });
  const agent = await vault.sdk.createAgent({ name: "historian", entryIds: [secret.id] });
  await vault.sdk.restartAgent({ agentId: agent.id });
  await vault.sdk.updateSecret({ id: secret.id, value: values[1] as string });
  await vault.sdk.updateSecret({ id: secret.id, value: values[2] as string });
  await vault.sdk.restartAgent({ agentId: agent.id });
  await signIn(page, vault);

  await page.getByRole("button", { name: "Actions for OPENAI_API_KEY" }).click();
  await page.getByRole("menuitem", { name: "History" }).click();
  const dialog = page.getByRole("dialog", { name: "History of OPENAI_API_KEY" });
  const rows = dialog.getByRole("row");
  await expect(rows.filter({ hasText: "v3" })).toContainText("(current)");
  await expect(rows.filter({ hasText: "v1" })).toContainText(secret.fingerprint);
  await expect(rows.filter({ hasText: "v3" }).getByRole("button")).toHaveCount(0);

  await dialog.getByRole("button", { name: "Restore version 1" }).click();
  await expect(dialog.getByRole("status")).toHaveText("Version 1 restored as version 4.");
  await expect(rows.filter({ hasText: "v4" })).toContainText("(current)");
  await expect(rows.filter({ hasText: "v4" })).toContainText(secret.fingerprint);
  await expect(rows.filter({ hasText: "v4" })).toContainText("you (token “");
  await expect(rows.filter({ hasText: /v[1-4]/ })).toHaveCount(4);
  for (const value of values) await expect(dialog).not.toContainText(value);

  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("row", { name: /OPENAI_API_KEY/ })).toContainText("v4");
  const banner = page.getByRole("region", { name: "Restart notices" }).getByRole("status");
  await expect(banner).toContainText("historian needs a restart");
  await expect(banner).toContainText("OPENAI_API_KEY updated");
  const restored = await vault.sdk.entry({ id: secret.id });
  expect(restored?.fingerprint).toBe(secret.fingerprint);
});

test("an import undone from its activity event leaves the vault as before it", async ({ page, vault }) => {
  await vault.sdk.addVariable({ name: "REGION", value: "eu-central-1" });
  const report = await vault.sdk.importEnv({
    content: "REGION=us-east-2\nIMPORTED_KEY=sk-undo-e2e\n",
    variables: ["REGION"],
    onConflict: "OVERWRITE",
  });
  await signIn(page, vault);
  await expect(page.getByRole("row", { name: /IMPORTED_KEY/ })).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  const row = page.getByRole("table", { name: "Activity" }).getByRole("row").filter({ hasText: ".env file imported" });
  await row.getByRole("button", { name: "Undo import" }).click();

  const dialog = page.getByRole("dialog", { name: "Undo this import?" });
  await expect(dialog).toContainText(report.id as string);
  await expect(dialog.getByRole("region", { name: "To delete" })).toContainText("IMPORTED_KEY");
  await expect(dialog.getByRole("region", { name: /To restore/ })).toContainText("REGION");
  // What the dialog shows is a plan: nothing is undone yet.
  expect(await vault.sdk.entryByName({ name: "IMPORTED_KEY" })).not.toBeNull();
  await expectAccessible(page, "the dialog undoing an import");
  await dialog.getByRole("button", { name: "Undo import" }).click();
  await expect(dialog.getByRole("status")).toContainText("Undone: 1 deleted, 1 restored.");
  await dialog.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("table", { name: "Activity" }).getByRole("row").first()).toBeVisible();
  await expect(
    page.getByRole("table", { name: "Activity" }).getByRole("row").filter({ hasText: "Import undone" }),
  ).toHaveCount(1);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Secrets Vault" }).click();
  await expect(page.getByRole("row", { name: /REGION/ })).toContainText("eu-central-1");
  await expect(page.getByRole("row", { name: /IMPORTED_KEY/ })).toHaveCount(0);
  expect(await vault.sdk.entryByName({ name: "IMPORTED_KEY" })).toBeNull();
});

test("the Activity page lists what happened, follows new events live, filters, and verifies the chain", async ({
  page,
  vault,
}) => {
  const secret = await vault.sdk.addSecret({ name: "GITHUB_TOKEN", value: "activity-marker-e81f" });
  const reviewer = await vault.sdk.createAgent({ name: "reviewer", entryIds: [secret.id] });
  await signIn(page, vault);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity", level: 1 })).toBeVisible();
  const log = page.getByRole("table", { name: "Activity" });
  await expect(log.getByRole("row").filter({ hasText: "Entry added" })).toContainText("GITHUB_TOKEN");
  await expect(log.getByRole("row").filter({ hasText: "Agent created" })).toContainText("reviewer");
  await expect(log.getByRole("row").filter({ hasText: "Entry attached" })).toContainText("reviewer");

  // Another program changes the secret: the event appears without a reload, newest first.
  await vault.sdk.updateSecret({ id: secret.id, value: "activity-marker-77d0" });
  const updated = log.getByRole("row").filter({ hasText: "Entry updated" });
  await expect(updated).toContainText("GITHUB_TOKEN");
  await expect(updated).toContainText("version 2");
  await expect(log.getByRole("row").nth(1)).toContainText("Entry updated");

  await page.getByLabel("Action").selectOption({ label: "Agent created" });
  await expect(log.getByRole("row").filter({ hasText: "Agent created" })).toHaveCount(1);
  await expect(log.getByRole("row").filter({ hasText: "Entry added" })).toHaveCount(0);
  await page.getByLabel("Action").selectOption({ label: "Provider connected" });
  await expect(log.getByText("No events match.")).toBeVisible();
  await page.getByLabel("Action").selectOption({ label: "All actions" });

  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByRole("status").filter({ hasText: "chain" })).toContainText("The chain is intact");
  await expect(page.locator("body")).not.toContainText("activity-marker");

  // At 1280 px the table fits the page with every detail whole: a runtime token's id shortened.
  await vault.sdk.createRuntimeToken({ agentId: reviewer.id });
  await page.setViewportSize({ width: 1280, height: 800 });
  const created = log.getByRole("row").filter({ hasText: "Runtime token created" });
  await expect(created).toContainText(/token id [0-9a-f]{8}…/);
  const box = page.locator(".table-scroll.activity");
  expect(await box.evaluate((element) => element.scrollWidth - element.clientWidth)).toBeLessThanOrEqual(0);

  await openPalette(page);
  await page.getByRole("combobox").fill("Tokens");
  await page.getByRole("option", { name: "Tokens" }).click();
  await openPalette(page);
  await page.getByRole("combobox").fill("Activity");
  await page.getByRole("option", { name: "Activity" }).click();
  await expect(page.getByRole("heading", { name: "Activity", level: 1 })).toBeVisible();
});

test("a brokered secret: Delivery, Upstream URL and Header in Add Secret, a Brokered badge in the table", async ({
  page,
  vault,
}) => {
  await signIn(page, vault);
  await page.getByRole("button", { name: "Add Secret" }).click();
  const dialog = page.getByRole("dialog", { name: "Add Secret" });
  await dialog.getByLabel("Name").fill("EXAMPLE_API_KEY");
  await dialog.getByLabel("Value").fill("example-e2e-key");
  await expect(dialog.getByRole("group", { name: "Delivery" })).toBeVisible();
  await expect(dialog.getByLabel("Upstream URL")).toBeHidden();
  await dialog.getByRole("radio", { name: "Brokered" }).check();
  await dialog.getByLabel("Upstream URL").fill("https://api.example.com/v1");
  await dialog.getByLabel("Header").fill("Authorization: Bearer {value}");
  await dialog.getByRole("button", { name: "Save" }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByRole("row", { name: /EXAMPLE_API_KEY/ });
  await expect(row.getByText("Brokered", { exact: true })).toBeVisible();
  const entry = await vault.sdk.entryByName({ name: "EXAMPLE_API_KEY" });
  expect(entry).toMatchObject({
    delivery: "BROKERED",
    upstream: { baseUrl: "https://api.example.com/v1", header: "authorization", template: "Bearer {value}" },
  });

  // A provider's key, kept in the vault.
  await openPalette(page);
  await page.getByRole("option", { name: "Connect Anthropic" }).click();
  const connect = page.getByRole("dialog", { name: "Connect Anthropic" });
  await connect.getByLabel("API key", { exact: true }).fill("sk-ant-e2e-brokered");
  await connect.getByLabel("Keep the key in the vault (brokered)").check();
  await connect.getByRole("button", { name: "Connect" }).click();
  await expect(connect).toBeHidden();
  const card = (await vault.sdk.aiProviders()).find((one) => one.provider === "ANTHROPIC");
  expect(card?.delivery).toBe("BROKERED");
});

test("an agent's usage: cost per day in a chart and a table, limits with their bars, added and removed", async ({
  page,
  vault,
}) => {
  // A stand-in provider that says what each call cost, as OpenRouter does.
  const provider = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ model: "test/model", usage: { prompt_tokens: 1000, completion_tokens: 500, cost: 0.25 } }),
      );
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  try {
    const upstream = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;
    const secret = await vault.sdk.addSecret({
      name: "GATEWAY_KEY",
      value: "sk-usage-e2e",
      delivery: "BROKERED",
      upstream: { baseUrl: upstream, template: "Bearer {value}", baseUrlVariable: "GATEWAY_URL" },
    });
    const agent = await vault.sdk.createAgent({ name: "spender", entryIds: [secret.id] });
    const { token } = await vault.sdk.createRuntimeToken({ agentId: agent.id });
    const { environment } = await createRuntimeClient({ url: vault.url, token }).environment();
    for (let i = 0; i < 3; i++) {
      const answer = await fetch(`${environment.GATEWAY_URL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${environment.GATEWAY_KEY}`, "content-type": "application/json" },
        body: "{}",
      });
      expect(answer.status).toBe(200);
      await answer.text();
    }
    await signIn(page, vault);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents" }).click();
    // Usage is written within a second of each request.
    await expect(async () => {
      await page.reload();
      await expect(page.getByRole("listitem").filter({ hasText: "spender" })).toContainText("spent today $0.75", {
        timeout: 500,
      });
    }).toPass({ timeout: 10_000 });
    await page.getByRole("link", { name: "spender" }).click();
    const usage = page.getByRole("region", { name: "Usage" });
    await expect(usage.getByText("Spent today: $0.75")).toBeVisible();
    await expect(usage.getByRole("figure").filter({ hasText: "Cost per day (USD)" })).toBeVisible();
    await expect(usage.getByRole("img", { name: /Cost per day/ })).toBeVisible();
    await usage.getByText("Usage as a table").click();
    const row = usage.getByRole("row").filter({ hasText: "GATEWAY_KEY" });
    await expect(row).toContainText("Other");
    await expect(row.getByRole("cell", { name: "3", exact: true })).toBeVisible();
    await expect(row).toContainText("$0.75");
    await expectAccessible(page, "an agent's usage");

    const limits = page.getByRole("region", { name: "Limits" });
    await limits.getByRole("button", { name: "Add limit" }).click();
    const dialog = page.getByRole("dialog", { name: "Add limit" });
    await dialog.getByRole("button", { name: "Add limit" }).click();
    await expect(dialog.getByRole("alert")).toContainText("at least one maximum");
    await dialog.getByLabel("Window").selectOption("DAY");
    await dialog.getByLabel("Secret").selectOption({ label: "GATEWAY_KEY" });
    await dialog.getByLabel("Maximum cost (USD)").fill("1");
    await dialog.getByRole("button", { name: "Add limit" }).click();
    await expect(dialog).toBeHidden();
    await expect(limits.getByText("$1.00 per day through GATEWAY_KEY")).toBeVisible();
    await expect(limits.getByRole("meter", { name: "USD used" })).toBeVisible();
    await expect(limits.getByText("$0.00 of $1.00 USD")).toBeVisible();
    await expectAccessible(page, "an agent's limits");

    await limits.getByRole("button", { name: "Remove limit $1.00 per day through GATEWAY_KEY" }).click();
    await page
      .getByRole("dialog", { name: "Remove this limit?" })
      .getByRole("button", { name: "Remove limit" })
      .click();
    await expect(limits.getByText("No limits")).toBeVisible();
    expect(await vault.sdk.agentLimits({ id: agent.id })).toMatchObject({ limits: [] });
  } finally {
    provider.close();
  }
});

test("a secret found in an agent's request: a banner names it and the host, and the activity log has it", async ({
  page,
  vault,
}) => {
  const provider = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  try {
    const upstream = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;
    const key = await vault.sdk.addSecret({
      name: "MODEL_KEY",
      value: "sk-tripwire-e2e",
      delivery: "BROKERED",
      upstream: { baseUrl: upstream, template: "Bearer {value}", baseUrlVariable: "MODEL_URL" },
    });
    const database = await vault.sdk.addSecret({ name: "DATABASE_URL", value: "postgres://app:hunter2e2e@db/app" });
    const agent = await vault.sdk.createAgent({ name: "chatty", entryIds: [key.id, database.id] });
    const { token } = await vault.sdk.createRuntimeToken({ agentId: agent.id });
    const { environment } = await createRuntimeClient({ url: vault.url, token }).environment();
    await signIn(page, vault);
    const banner = page.getByRole("region", { name: "Leak notices" }).getByRole("alert");
    // The agent pastes its database URL into a prompt: the broker refuses it (again, until the
    // console's live subscription, which opens after sign-in, has heard one).
    await expect(async () => {
      const answer = await fetch(`${environment.MODEL_URL}/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${environment.MODEL_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ messages: [{ role: "user", content: `connect to ${environment.DATABASE_URL}` }] }),
      });
      expect(answer.status).toBe(403);
      await expect(banner).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(banner).toContainText("chatty sent the value of DATABASE_URL");
    await expect(banner).toContainText(`in a request to 127.0.0.1:${(provider.address() as AddressInfo).port}`);
    await expect(banner).toContainText("blocked: nothing was sent");
    await expect(banner).not.toContainText("hunter2e2e");
    await expectAccessible(page, "a leak banner");
    await page.getByRole("button", { name: "Dismiss the leak notice about DATABASE_URL" }).click();
    await expect(banner).toBeHidden();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Activity" }).click();
    // The retries above may have been refused more than once: each is a row.
    const row = page.getByRole("row").filter({ hasText: "Secret in a request: blocked" }).first();
    await expect(row).toContainText("DATABASE_URL");
    await expect(row).toContainText("chatty");
    await expect(page.getByRole("main")).not.toContainText("hunter2e2e");
  } finally {
    provider.close();
  }
});

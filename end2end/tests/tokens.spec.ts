import { expect, test } from "@playwright/test";
import { newIdentity, register, waitForHydration } from "./helpers";

test("make an API token, copy it, call the API with it, revoke it", async ({ page, context, playwright, baseURL }) => {
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const id = newIdentity("tok");
  await register(page, id);
  await page.goto("/account");
  await waitForHydration(page);
  await page.getByRole("navigation", { name: "Sections of your account" }).getByRole("link", { name: "API tokens" }).click();
  await expect(page).toHaveURL(/\/account#tokens$/);
  await expect(page.getByTestId("no-tokens")).toBeVisible();

  // Nothing ticked: the form says so and sends nothing.
  await page.getByLabel("Name", { exact: true }).fill("deploy script");
  await page.getByRole("checkbox", { name: /^Read/ }).uncheck();
  await expect(page.locator("#token-scopes-message")).toHaveText("Choose at least one scope");
  await page.getByRole("checkbox", { name: /^Read/ }).check();
  await page.getByRole("checkbox", { name: /^Write/ }).check();
  await page.getByLabel("Expires after").selectOption("30");
  await page.getByRole("button", { name: "Make token" }).click();

  const shown = page.getByTestId("new-token");
  await expect(shown).toHaveValue(/^lk_[A-Za-z0-9_-]{43}$/);
  await expect(page.getByText("you will not see it again")).toBeVisible();
  await page.getByRole("button", { name: "Copy token" }).click();
  await expect(page.getByText("Copied", { exact: true })).toBeVisible();
  const token = await page.evaluate(() => navigator.clipboard.readText());
  expect(token).toBe(await shown.inputValue());

  const row = page.getByTestId("token").filter({ hasText: "deploy script" });
  await expect(row).toContainText("never used");
  await expect(row.locator(".badge")).toHaveText(["read", "write"]);

  // A program with no cookies, only the token.
  const program = await playwright.request.newContext({ baseURL });
  const call = () => program.get("/api/v1/account", { headers: { Authorization: `Bearer ${token}` } });
  const answer = await call();
  expect(answer.status()).toBe(200);
  expect((await answer.json()).username).toBe(id.username);

  // The list says it was used; the secret is not on the page any more.
  await page.reload();
  await waitForHydration(page);
  await expect(row).toContainText("last used");
  await expect(shown).toHaveCount(0);

  // Revoking asks first.
  await row.getByText("Revoke", { exact: true }).click();
  await expect(row.getByText("refused at once")).toBeVisible();
  await row.getByRole("button", { name: "Revoke “deploy script”" }).click();
  await expect(row.locator(".badge.off")).toHaveText("Revoked");
  expect((await call()).status()).toBe(401);
  await program.dispose();
});

test("suggest a strong password when registering, and register with it", async ({ page }) => {
  const id = newIdentity("gen");
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Username", { exact: true }).fill(id.username);
  await page.getByLabel("Email", { exact: true }).fill(id.email);
  await page.getByRole("button", { name: "Suggest a strong password" }).click();
  const suggested = page.getByTestId("suggested-password");
  await expect(suggested).not.toBeEmpty();
  const password = (await suggested.textContent()) ?? "";
  await expect(page.getByLabel("Password", { exact: true })).toHaveValue(password);
  await expect(page.getByLabel("Confirm password")).toHaveValue(password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);

  // It is the account's password now.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(id.username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("make a token, see its secret once, and revoke it", async ({ page }) => {
    const id = newIdentity("tokn");
    await register(page, id, { script: false });
    await page.goto("/account#tokens");
    // Buttons that need the script are not offered where they could not work.
    await expect(page.getByRole("button", { name: "Suggest a strong password" })).toHaveCount(0);
    // An empty name comes back with the message next to the field.
    await page.getByRole("button", { name: "Make token" }).click();
    await expect(page.locator('[data-field="name"]')).toHaveText("Required");

    await page.getByLabel("Name", { exact: true }).fill("cron job");
    await page.getByRole("button", { name: "Make token" }).click();
    await expect(page).toHaveURL(/\/account#tokens$/);
    await expect(page.getByTestId("new-token")).toHaveValue(/^lk_/);
    await expect(page.getByRole("button", { name: "Copy token" })).toHaveCount(0);
    const row = page.getByTestId("token").filter({ hasText: "cron job" });
    await expect(row.locator(".badge")).toHaveText(["read"]);

    // Shown once: the next visit has only the list.
    await page.reload();
    await expect(page.getByTestId("new-token")).toHaveCount(0);
    await expect(row).toBeVisible();

    await row.getByText("Revoke", { exact: true }).click();
    await row.getByRole("button", { name: "Revoke “cron job”" }).click();
    await expect(row.locator(".badge.off")).toHaveText("Revoked");
  });
});

import { expect, test } from "@playwright/test";
import { newIdentity, register, waitForHydration } from "./helpers";

test("register, sign out, sign in with email, and a wrong password gets the generic error", async ({ page }) => {
  const id = newIdentity("ada");
  await register(page, id);
  await expect(page).toHaveURL("/");
  await expect(page.getByTestId("header-username")).toHaveText(id.username);
  await expect(page.getByTestId("home-email")).toHaveText(id.email);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();

  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(id.email.toUpperCase());
  await page.getByLabel("Password").fill(id.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(id.username);
  await page.getByLabel("Password").fill(id.password + "-wrong");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Invalid username, email or password");
  // What the person typed is still there.
  await expect(page.getByLabel("Username or email")).toHaveValue(id.username);
  await expect(page).toHaveURL(/\/login$/);
});

test("the register form validates as you type, before anything is sent", async ({ page }) => {
  const submissions: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/fn/auth/register")) submissions.push(request.url());
  });
  await page.goto("/register");
  await waitForHydration(page);

  const username = page.getByLabel("Username", { exact: true });
  await username.fill("ab");
  await expect(page.locator('[data-field="username"]')).toHaveText("3 to 32 characters required");
  await expect(username).toHaveAttribute("aria-invalid", "true");
  await username.fill("ada lovelace");
  await expect(page.locator('[data-field="username"]')).toHaveText("Only letters, digits, '.', '_' and '-' are allowed");
  await username.fill("ada_lovelace");
  await expect(page.locator('[data-field="username"]')).toHaveText("");

  await page.getByLabel("Email", { exact: true }).fill("not-an-email");
  await expect(page.locator('[data-field="email"]')).toHaveText("Enter a valid email address");
  await page.getByLabel("Password", { exact: true }).fill("correct-horse-42");
  await page.getByLabel("Confirm password").fill("correct-horse-43");
  await expect(page.locator('[data-field="password_confirmation"]')).toHaveText("Passwords do not match");

  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/register$/);
  expect(submissions).toHaveLength(0);
});

test("the server's answer shows next to the field and keeps what was typed", async ({ page, browser }) => {
  const taken = newIdentity("taken");
  await register(page, taken);

  const other = await browser.newPage();
  const id = newIdentity("second");
  await other.goto("/register");
  await waitForHydration(other);
  await other.getByLabel("Username", { exact: true }).fill(taken.username.toUpperCase());
  await other.getByLabel("Email", { exact: true }).fill(id.email);
  await other.getByLabel("Password", { exact: true }).fill(id.password);
  await other.getByLabel("Confirm password").fill(id.password);
  await other.getByRole("button", { name: "Create account" }).click();
  await expect(other.locator('[data-field="username"]')).toHaveText("This username is taken");
  await expect(other.getByLabel("Email", { exact: true })).toHaveValue(id.email);
  // Common passwords are refused by the server; its message lands next to the password.
  await other.getByLabel("Username", { exact: true }).fill(id.username);
  await other.getByLabel("Password", { exact: true }).fill("password123");
  await other.getByLabel("Confirm password").fill("password123");
  await other.getByRole("button", { name: "Create account" }).click();
  await expect(other.locator('[data-field="password"]')).toHaveText("This password is too common; choose another");
  await other.close();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("register, sign out and a wrong password still work", async ({ page }) => {
    const id = newIdentity("nojs");
    await page.goto("/register");
    await page.getByLabel("Username", { exact: true }).fill(id.username);
    await page.getByLabel("Email", { exact: true }).fill(id.email);
    await page.getByLabel("Password", { exact: true }).fill(id.password);
    await page.getByLabel("Confirm password").fill(id.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.getByTestId("home-username")).toHaveText(id.username);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/login/);

    await page.getByLabel("Username or email").fill(id.username);
    await page.getByLabel("Password").fill("wrong-password-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Invalid username, email or password");
  });
});

test("signed-out visitors are sent to sign in; signed-in ones away from it", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  const id = newIdentity("redir");
  await register(page, id);
  await page.goto("/login");
  await expect(page).toHaveURL("/");
});

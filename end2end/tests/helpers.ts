import { expect, Page } from "@playwright/test";

/** A fresh account identity, unique per test run. */
export function newIdentity(prefix: string) {
  const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    username: `${prefix}_${tag}`.slice(0, 32),
    email: `${prefix}.${tag}@example.org`,
    password: `Violet-anchor-${tag}`,
  };
}

/** Waits until the WASM bundle has hydrated the page, so typing is seen by Rust code. */
export async function waitForHydration(page: Page) {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}

export async function register(page: Page, id: { username: string; email: string; password: string }) {
  await page.goto("/register");
  await waitForHydration(page);
  await page.getByLabel("Username", { exact: true }).fill(id.username);
  await page.getByLabel("Email", { exact: true }).fill(id.email);
  await page.getByLabel("Password", { exact: true }).fill(id.password);
  await page.getByLabel("Confirm password").fill(id.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);
}

import { expect, test } from "@playwright/test";

// The OpenID provider is a real one (oidc-provider, started by scripts/e2e-server as the
// provider "Test provider"); its sign-in page asks for a username only.
test("signs in through the OpenID provider; the account page lists the identity", async ({ page }) => {
  await page.goto("/login");
  await page.getByRole("link", { name: "Continue with Test provider" }).click();

  // The provider's own page, on its own origin.
  await expect(page).toHaveURL(/:3130\/interaction\//);
  await page.getByLabel("Username").fill("alice");
  await page.getByRole("button", { name: "Sign in" }).click();

  // Back in Latchkey, signed in as the account the provider's identity made.
  await expect(page.getByTestId("home-username")).toHaveText("alice");
  await page.goto("/account");
  const identities = page.getByTestId("identities");
  await expect(identities).toContainText("Test provider");
  await expect(identities).toContainText("alice@idp.test");

  // It is the account's only way in (no password yet): unlinking it is refused, saying why.
  await page.getByRole("button", { name: "Unlink Test provider" }).click();
  await expect(page.locator("#identities").getByRole("alert")).toContainText(
    "set a password (with a reset link) or link another provider first",
  );
  await expect(page.getByTestId("identities")).toContainText("Test provider");
});

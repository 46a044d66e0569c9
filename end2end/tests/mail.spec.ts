import { expect, test } from "@playwright/test";
import { newIdentity, register, waitForHydration } from "./helpers";
import { codeIn, linkIn, waitForMail } from "./mail";

test("forgot password: the link in the mail sets a new password and signs in", async ({ page, browser }) => {
  const id = newIdentity("forgot");
  const first = await browser.newPage();
  await register(first, id);
  await first.close();

  await page.goto("/login");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page).toHaveURL(/\/forgot-password$/);
  await waitForHydration(page);
  await page.getByLabel("Email").fill(id.email);
  await page.getByRole("button", { name: "Send me a link" }).click();
  await expect(page.getByTestId("reset-sent")).toContainText("If an account has this address");

  const mail = await waitForMail(id.email, 2);
  expect(mail.subject).toBe("Reset your password");
  await page.goto(linkIn(mail, "/reset-password"));
  await waitForHydration(page);
  const newPassword = id.password + "-reset";
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);

  // The link is spent (tried where nobody is signed in: the reset page is for visitors
  // who are not).
  const again = await browser.newPage();
  await again.goto(linkIn(mail, "/reset-password"));
  await waitForHydration(again);
  await again.getByLabel("New password", { exact: true }).fill(newPassword + "2");
  await again.getByLabel("Confirm new password").fill(newPassword + "2");
  await again.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(again.getByRole("alert")).toContainText("This link is invalid, was already used, or has expired");
});

test("sign in with an emailed code", async ({ page, browser }) => {
  const id = newIdentity("code");
  const first = await browser.newPage();
  await register(first, id);
  await first.close();

  await page.goto("/login");
  await page.getByRole("link", { name: "Email me a sign-in code" }).click();
  await waitForHydration(page);
  await page.getByLabel("Email").fill(id.email);
  await page.getByRole("button", { name: "Email me a code" }).click();
  await expect(page.getByTestId("code-sent")).toBeVisible();

  const mail = await waitForMail(id.email, 2);
  await waitForHydration(page);
  await page.getByLabel("Code", { exact: true }).fill("000000" === codeIn(mail) ? "111111" : "000000");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("This link or code is invalid or has expired");
  await page.getByLabel("Code", { exact: true }).fill(codeIn(mail));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);
});

test("verify an email address from the mailed link", async ({ page }) => {
  const id = newIdentity("verify");
  await register(page, id);
  await page.goto("/account");
  await expect(page.getByTestId("email-status")).toHaveText("not verified");

  const mail = await waitForMail(id.email, 1);
  expect(mail.subject).toBe("Confirm your email address");
  await page.goto(linkIn(mail, "/verify-email"));
  await waitForHydration(page);
  await page.getByRole("button", { name: "Confirm my email address" }).click();
  await expect(page.getByTestId("email-verified")).toHaveText(`${id.email} is confirmed. Thank you!`);
  await page.goto("/account");
  await expect(page.getByTestId("email-status")).toHaveText("verified");
});

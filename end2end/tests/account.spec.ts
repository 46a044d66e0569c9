import { expect, test } from "@playwright/test";
import { gradientPng, newIdentity, register, signIn, waitForHydration } from "./helpers";

test("edit the profile and see it after a reload", async ({ page }) => {
  const id = newIdentity("prof");
  await register(page, id);
  await page.getByRole("link", { name: "Edit your account" }).click();
  await expect(page).toHaveURL(/\/account$/);
  await waitForHydration(page);

  await page.getByLabel("First name").fill("Ada");
  await page.getByLabel("Last name").fill("Lovelace");
  await page.getByLabel("Bio").fill("Analyst.\nPoet of science.");
  await page.getByLabel("Location").fill("London");
  // A date in the future is refused as it is typed.
  await page.getByLabel("Birth date").fill("2999-01-01");
  await expect(page.locator('[data-field="birth_date"]')).toHaveText("A birth date cannot be in the future");
  await page.getByLabel("Birth date").fill("1990-05-17");
  await expect(page.locator('[data-field="birth_date"]')).toHaveText("");
  await page.getByLabel("Time zone").selectOption("Europe/Paris");
  await page.getByLabel("Language").selectOption("fr");
  await page.getByRole("button", { name: "Save profile" }).click();
  await expect(page.getByTestId("profile-saved")).toHaveText("Saved");

  await page.reload();
  await expect(page.getByLabel("First name")).toHaveValue("Ada");
  await expect(page.getByLabel("Bio")).toHaveValue("Analyst.\nPoet of science.");
  await expect(page.getByLabel("Birth date")).toHaveValue("1990-05-17");
  await expect(page.getByLabel("Time zone")).toHaveValue("Europe/Paris");
  await expect(page.getByLabel("Language")).toHaveValue("fr");
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Hello, Ada" })).toBeVisible();
});

test("upload a picture and see it in the header", async ({ page }) => {
  const id = newIdentity("pic");
  await register(page, id);
  await page.goto("/account");
  await waitForHydration(page);
  await page.locator("#picture-file").setInputFiles({
    name: "me.png",
    mimeType: "image/png",
    buffer: gradientPng(320, 200),
  });
  await expect(page.getByTestId("upload-status")).toHaveText("Picture saved");
  const headerPicture = page.locator("header [data-testid=avatar-image]");
  await expect(headerPicture).toHaveAttribute("src", /\/api\/v1\/users\/.+\/picture\?v=/);
  const size = await headerPicture.evaluate((img: HTMLImageElement) => img.naturalWidth);
  expect(size).toBe(256);

  // Not an image: refused with a message, nothing changes.
  await page.locator("#picture-file").setInputFiles({
    name: "evil.png",
    mimeType: "image/png",
    buffer: Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"),
  });
  await expect(page.getByTestId("upload-status")).toHaveText("Upload a PNG, JPEG, GIF or WebP image");

  await page.getByRole("button", { name: "Remove picture" }).click();
  await expect(page.locator("header [data-testid=avatar-image]")).toHaveCount(0);
});

test("a slow upload shows its progress", async ({ page }) => {
  const id = newIdentity("slow");
  await register(page, id);
  await page.goto("/account");
  await waitForHydration(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: -1,
    uploadThroughput: 150 * 1024,
  });
  const file = gradientPng(300, 300, true);
  expect(file.length).toBeGreaterThan(200 * 1024);
  await page.locator("#picture-file").setInputFiles({ name: "noise.png", mimeType: "image/png", buffer: file });
  const bar = page.getByRole("progressbar", { name: "Upload progress" });
  await expect(bar).toBeVisible();
  await expect(page.getByTestId("upload-status")).toHaveText(/^Uploading… \d+%$/);
  await expect(page.getByTestId("upload-status")).toHaveText("Picture saved", { timeout: 20_000 });
  await expect(bar).toHaveCount(0);
});

test("change the password, then sign in with the new one", async ({ page }) => {
  const id = newIdentity("pw");
  await register(page, id);
  await page.goto("/account");
  await waitForHydration(page);
  const newPassword = id.password + "-new";
  await page.getByLabel("Current password").fill("not-my-password");
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator('[data-field="current_password"]')).toHaveText("Incorrect password");

  await page.getByLabel("Current password").fill(id.password);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByTestId("password-changed")).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, id.username, newPassword);
});

test("sign out another device from the devices list", async ({ browser }) => {
  const id = newIdentity("dev");
  const laptop = await browser.newContext();
  const phone = await browser.newContext();
  const laptopPage = await laptop.newPage();
  const phonePage = await phone.newPage();
  await register(laptopPage, id);
  await signIn(phonePage, id.username, id.password);

  await laptopPage.goto("/account");
  await waitForHydration(laptopPage);
  const devices = laptopPage.getByTestId("devices").locator("li");
  await expect(devices).toHaveCount(2);
  await expect(laptopPage.getByText("This device")).toHaveCount(1);
  await laptopPage.getByTestId("devices").getByRole("button", { name: /^Sign out/ }).click();
  await expect(devices).toHaveCount(1);

  await phonePage.goto("/account");
  await expect(phonePage).toHaveURL(/\/login/);
  await laptop.close();
  await phone.close();
});

test("delete the account", async ({ page }) => {
  const id = newIdentity("del");
  await register(page, id);
  await page.goto("/account");
  await waitForHydration(page);
  await page.getByText("Delete my account").first().click();
  await page.getByLabel("Your password").fill(id.password);
  await page.getByTestId("confirm-delete").check();
  await page.getByRole("button", { name: "Delete my account" }).click();
  await expect(page).toHaveURL(/\/login\?deleted=1$/);
  await expect(page.getByRole("status")).toHaveText("Your account was deleted.");

  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(id.username);
  await page.getByLabel("Password").fill(id.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Invalid username, email or password");
});

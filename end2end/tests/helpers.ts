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

/** Registers through the form; `script: false` for a page without JavaScript. */
export async function register(
  page: Page,
  id: { username: string; email: string; password: string },
  { script = true } = {},
) {
  await page.goto("/register");
  if (script) await waitForHydration(page);
  await page.getByLabel("Username", { exact: true }).fill(id.username);
  await page.getByLabel("Email", { exact: true }).fill(id.email);
  await page.getByLabel("Password", { exact: true }).fill(id.password);
  await page.getByLabel("Confirm password").fill(id.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByTestId("home-username")).toHaveText(id.username);
}

/** A real PNG (a colour gradient, or noise that does not compress), made here so the
 * tests need no fixture files. */
export function gradientPng(width: number, height: number, noise = false): Buffer {
  const zlib = require("zlib") as typeof import("zlib");
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      row[1 + x * 3] = noise ? Math.random() * 255 : (x * 255) / width;
      row[2 + x * 3] = noise ? Math.random() * 255 : (y * 255) / height;
      row[3 + x * 3] = noise ? Math.random() * 255 : 160;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export async function signIn(page: Page, login: string, password: string) {
  await page.goto("/login");
  await waitForHydration(page);
  await page.getByLabel("Username or email").fill(login);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("home-username")).toBeVisible();
}

import { defineConfig } from "@playwright/test";
import * as path from "path";

const port = Number(process.env.E2E_PORT ?? 3100);
// Where the test SMTP server (started with the app by scripts/e2e-server) keeps what it
// receives; tests/mail.ts reads it.
const maildir = process.env.E2E_MAILDIR ?? path.join(__dirname, ".data", "maildir");
process.env.E2E_MAILDIR = maildir;

// Debian's Chromium, never Playwright's own browser download (this network cannot fetch it).
export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  forbidOnly: true,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
  webServer: {
    command: "../scripts/e2e-server",
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { E2E_PORT: String(port), E2E_MAILDIR: maildir },
    stdout: "pipe",
    stderr: "pipe",
  },
});

// What a visitor downloads: opens each page given in Debian's Chromium twice (a first
// visit with an empty cache, then a second visit in a new tab of the same browser
// profile) and prints the bytes transferred for each (as the network sent them:
// compressed bodies plus headers), once the page is hydrated and the network is idle.
//
//   node page-weight.js BASE_URL PATH...
// Prints one line per page: "PATH first BYTES second BYTES". A PATH written as
// "signed-in:/account" is opened with the session cookie in BENCH_COOKIE
// ("latchkey_session=...").
const { chromium } = require("../../end2end/node_modules/@playwright/test");

async function transferred(context, url) {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  let bytes = 0;
  cdp.on("Network.loadingFinished", (event) => {
    bytes += event.encodedDataLength;
  });
  await page.goto(url, { waitUntil: "networkidle" });
  // Hydrated: the bundle has run (the app marks nothing, so wait for the idle network
  // and a frame).
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => done())));
  await page.close();
  return bytes;
}

(async () => {
  const [base, ...paths] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
  });
  try {
    for (const page of paths) {
      const signedIn = page.startsWith("signed-in:");
      const path = signedIn ? page.slice("signed-in:".length) : page;
      const context = await browser.newContext();
      if (signedIn) {
        const [name, value] = (process.env.BENCH_COOKIE ?? "").split("=");
        await context.addCookies([{ name, value, url: base }]);
      }
      const first = await transferred(context, base + path);
      const second = await transferred(context, base + path);
      console.log(`${path}${signedIn ? " (signed in)" : ""} first ${first} second ${second}`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});

// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser of
// its own here: executablePath points at the system one).
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.E2E_CHROMIUM ?? "/usr/bin/chromium";

// As root Chromium needs --no-sandbox; the rest keep it off a network it has not got.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let browser = null;

async function theBrowser() {
  if (browser === null || !browser.isConnected()) {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }
  return browser;
}

/**
 * Open `url` in a fresh context (no cookies from an earlier run), wait until the page wrote
 * its results, and return them with every console error, uncaught exception and failed
 * request the browser reported.
 */
export async function runPage(url, { timeoutMs }) {
  const context = await (await theBrowser()).newContext();
  const page = await context.newPage();
  const consoleErrors = [];
  const pageErrors = [];
  const failedRequests = [];
  page.on("console", (message) => {
    if (message.type() === "error") {
      consoleErrors.push({ text: message.text(), url: message.location().url ?? "" });
    }
  });
  page.on("pageerror", (error) => pageErrors.push(String(error.stack ?? error)));
  page.on("requestfailed", (request) =>
    failedRequests.push({ url: request.url(), failure: request.failure()?.errorText ?? "" }),
  );
  const started = Date.now();
  try {
    await page.goto(url);
    await page.waitForSelector("#results[data-done]", { state: "attached", timeout: timeoutMs });
    const outcome = JSON.parse((await page.textContent("#results")) ?? "null");
    return { ...outcome, consoleErrors, pageErrors, failedRequests, seconds: (Date.now() - started) / 1000 };
  } catch (error) {
    return {
      error: `driver: ${error}`,
      consoleErrors,
      pageErrors,
      failedRequests,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await context.close();
  }
}

export async function closeBrowser() {
  if (browser !== null) {
    await browser.close().catch(() => {});
    browser = null;
  }
}

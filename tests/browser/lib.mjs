// Shared helpers for the panel's browser tests: Debian's Chromium driven by playwright-core
// (pinned in web/package.json; no browser is ever downloaded), a fresh profile per run, steps
// that name themselves in failures, and desktop/phone screenshots with an overflow check.
// Trust: the pages come from the gateway under test; nothing here goes off loopback.
import { createRequire } from "node:module";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "../..");
const require = createRequire(join(REPO, "web", "package.json"));
const { chromium } = require("playwright-core");

export const SCREENSHOTS = join(REPO, "tests", "e2e", "screenshots");
export const STEP_TIMEOUT_MS = 15000;
export const PHONE = { width: 375, height: 812 };
export const DESKTOP = { width: 1280, height: 900 };

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The script's input: one JSON object as the first argument. */
export function input() {
  const raw = process.argv[2];
  if (!raw) throw new Error("usage: node script.mjs '{\"base\": \"https://127.0.0.1:PORT\", ...}'");
  return JSON.parse(raw);
}

/** Chromium with a new empty profile; `run(page, context)`; always closed; exits 1 on failure. */
export async function withBrowser(run) {
  const profile = mkdtempSync(join(tmpdir(), "pw-panel-profile-"));
  mkdirSync(SCREENSHOTS, { recursive: true });
  let context;
  let failed = false;
  const consoleErrors = [];
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.PW_CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
      ignoreHTTPSErrors: true, // the gateway's self-signed test certificate
      viewport: DESKTOP,
      timeout: 30000,
    });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    const result = await run(page, context, consoleErrors);
    process.stdout.write("RESULT " + JSON.stringify(result ?? {}) + "\n");
  } catch (e) {
    failed = true;
    process.stderr.write(`FAILED: ${e && e.stack ? e.stack : e}\n`);
    if (consoleErrors.length) process.stderr.write("browser console errors:\n  " + consoleErrors.join("\n  ") + "\n");
    try {
      const page = context?.pages()[0];
      if (page) {
        await page.screenshot({ path: join(SCREENSHOTS, `failure-${process.pid}.png`), fullPage: true });
        process.stderr.write(`page at failure: ${page.url()}\n${(await page.locator("body").innerText()).slice(0, 3000)}\n`);
      }
    } catch {
      // The browser may be gone already.
    }
  } finally {
    if (context) await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

let currentStep = "";
/** Runs one named step; a failure says which step it was. */
export async function step(name, fn) {
  currentStep = name;
  process.stdout.write(`step: ${name}\n`);
  try {
    return await fn();
  } catch (e) {
    const err = new Error(`step "${name}": ${e && e.message ? e.message : e}`);
    err.stack = err.message + "\n" + (e && e.stack ? e.stack : "");
    throw err;
  }
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed (${currentStep}): ${message}`);
}

export async function login(page, base, username, password) {
  await page.goto(base + "/");
  await page.getByTestId("login-form").waitFor();
  await page.getByTestId("login-username").fill(username);
  await page.getByTestId("login-password").fill(password);
  await page.getByTestId("login-submit").click();
  await page.getByTestId("who").waitFor();
  const who = await page.getByTestId("who").innerText();
  check(who.includes(username), `header shows ${JSON.stringify(who)} after logging in as ${username}`);
}

/** Opens a screen by its hash path and waits for its heading. */
export async function open(page, base, path, heading) {
  await page.goto(`${base}/#${path}`);
  if (heading) await page.getByRole("heading", { name: heading, exact: true, level: 1 }).waitFor();
}

/** Waits until no "Loading…" is shown (the screen's requests answered). */
export async function settled(page) {
  await page.waitForFunction(() => !document.body.innerText.includes("Loading…"), null, { timeout: STEP_TIMEOUT_MS });
}

/** The page at desktop size and at 375 px (menu opened once to show the collapsed nav), and
 *  a check that nothing is wider than the phone's screen. */
export async function screenshots(page, name) {
  await settled(page);
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.waitForTimeout(100);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= PHONE.width + 1, `${name}: the page is ${width} px wide on a ${PHONE.width} px screen`);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

/** The error notice the screen shows, or "" when none. */
export async function errorShown(page) {
  const errs = page.getByTestId("error");
  const n = await errs.count();
  const texts = [];
  for (let i = 0; i < n; i++) texts.push(await errs.nth(i).innerText());
  return texts.join(" | ");
}

/** Clicks and waits for the success notice; fails with the screen's error if one shows. */
export async function expectNotice(page, action, contains) {
  await action();
  const notice = page.getByTestId("notice").filter({ hasText: contains });
  const error = page.getByTestId("error");
  await Promise.race([notice.first().waitFor().catch(() => {}), error.first().waitFor().catch(() => {})]);
  if (!(await notice.count())) throw new Error(`expected a notice with ${JSON.stringify(contains)}, the screen says: ${await errorShown(page)}`);
}

// Browser test, part 2 (after pytest sent mail through the gateway): the admin finds the normal
// message in Log search and opens its decision trail, finds the quarantined GTUBE message,
// views it, confirms it as spam and releases it, looks at the dashboard and identities, and uses the phone menu.
// Input: {"base", "admin", "password", "email_user", "ip_user", "normal_subject",
// "spam_subject", "gtube"}. Prints "RESULT {log_id, spam_log_id, quarantine_id, ...}".
import { PHONE, DESKTOP, SCREENSHOTS, check, expectNotice, input, login, open, screenshots, settled, step, withBrowser } from "./lib.mjs";

const cfg = input();
const SEARCH_TRIES = 10; // the log is written by a batching writer: search again, 1 s apart

/** Clicks Search until the filtered list (its query containing `param`) shows `row`. */
async function searchUntil(page, param, click, row) {
  for (let i = 1; ; i++) {
    await Promise.all([page.waitForResponse((r) => r.url().includes("/api/v1/log?") && r.url().includes(param)), click()]);
    await settled(page);
    if ((await row.count()) > 0 || i === SEARCH_TRIES) break;
    await page.waitForTimeout(1000);
  }
  await row.first().waitFor({ timeout: 1000 });
}
const idFromUrl = (url, prefix) => decodeURIComponent(new URL(url).hash.slice(prefix.length + 2));

await withBrowser(async (page) => {
  const out = {};
  await step("admin logs in", () => login(page, cfg.base, cfg.admin, cfg.password));

  await step("log search finds the normal message by its sender", async () => {
    await open(page, cfg.base, "/log", "Log search");
    await page.getByTestId("log-sender").fill(cfg.email_user);
    const row = page.getByTestId("log-row").filter({ hasText: cfg.normal_subject });
    await searchUntil(page, "sender=", () => page.getByTestId("log-search").click(), row);
    const other = await page.getByTestId("log-row").filter({ hasNotText: cfg.email_user }).count();
    check(other === 0, `${other} rows of other senders under the sender filter`);
    await screenshots(page, "log-search");
    await row.first().click();
    await page.getByTestId("log-entry").waitFor();
    out.log_id = idFromUrl(page.url(), "/log");
    await settled(page);
    // A message that passed has no refusing decision: the trail says every check passed.
    check((await page.getByTestId("decision").count()) === 0, "a passed message shows a refusing decision");
    await page.getByTestId("no-decisions").waitFor();
    const rcpts = await page.getByTestId("log-recipients").innerText();
    check(rcpts.includes(cfg.recipient), `recipients table lacks ${cfg.recipient}: ${rcpts}`);
    await screenshots(page, "log-entry");
  });

  await step("log search by status finds the quarantined message and says why", async () => {
    await open(page, cfg.base, "/log", "Log search");
    await page.getByTestId("log-status").selectOption("quarantined");
    const row = page.getByTestId("log-row").filter({ hasText: cfg.spam_subject });
    await searchUntil(page, "status=quarantined", () => page.getByTestId("log-search").click(), row);
    const statuses = await page.getByTestId("log-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-status")));
    check(statuses.every((s) => s === "quarantined"), `status filter returned ${JSON.stringify(statuses)}`);
    await row.first().click();
    await page.getByTestId("log-entry").waitFor();
    out.spam_log_id = idFromUrl(page.url(), "/log");
    await page.getByRole("heading", { name: "Why was this blocked?" }).waitFor();
    const trail = await page.getByTestId("decision-trail").innerText();
    check(/quarantine/i.test(trail), `decision trail does not say quarantine: ${trail}`);
    out.trail = trail;
    await screenshots(page, "log-why-blocked");
  });

  await step("the quarantine shows the GTUBE message with headers, text and trail", async () => {
    await open(page, cfg.base, "/quarantine", "Quarantine");
    const row = page.getByTestId("quarantine-row").filter({ hasText: cfg.spam_subject });
    await row.first().waitFor();
    await screenshots(page, "quarantine");
    await row.first().click();
    await page.getByTestId("quarantine-item").waitFor();
    out.quarantine_id = idFromUrl(page.url(), "/quarantine");
    await settled(page);
    const headers = await page.getByTestId("headers").innerText();
    check(headers.includes(cfg.spam_subject), `headers lack the subject: ${headers.slice(0, 500)}`);
    const text = await page.getByTestId("message-text").innerText();
    check(text.includes(cfg.gtube), "the message text lacks the GTUBE string");
    check((await page.getByTestId("decision").count()) >= 1, "no decision trail for the quarantined message");
    await screenshots(page, "quarantine-item");
  });

  await step("the admin confirms it as spam (the model learns), then releases it", async () => {
    await page.getByTestId("confirm-spam").click();
    await expectNotice(page, () => page.getByTestId("confirm-spam-confirm").click(), "Confirmed as spam");
  });

  await step("the admin releases it", async () => {
    await page.getByTestId("release").click();
    await expectNotice(page, () => page.getByTestId("release-confirm").click(), "Released");
  });

  await step("dashboard with charts", async () => {
    await open(page, cfg.base, "/", "Dashboard");
    await page.getByTestId("chart").waitFor();
    await settled(page);
    const buckets = await page.getByTestId("chart-bucket").count();
    check(buckets === 24, `${buckets} hourly buckets in the chart`);
    const total = async (k) => Number(await page.getByTestId(`total-${k}`).locator(".total-value").innerText());
    out.totals = { sent: await total("sent"), blocked: await total("blocked"), quarantined: await total("quarantined"), deferred: await total("deferred") };
    check(out.totals.sent >= 1, `dashboard shows ${out.totals.sent} sent`);
    check(out.totals.quarantined >= 1, `dashboard shows ${out.totals.quarantined} quarantined`);
    const top = await page.getByTestId("top-senders").innerText();
    check(top.includes(cfg.email_user) || top.includes(cfg.ip_user), `top senders: ${top}`);
    await screenshots(page, "dashboard");
    await page.getByTestId("period-day").click();
    await page.waitForFunction(() => document.querySelectorAll("[data-testid=chart-bucket]").length === 30, null, { timeout: 15000 });
  });

  await step("identities", async () => {
    await open(page, cfg.base, "/identities", "Manage identities");
    await settled(page);
    await page.getByTestId("identity-row").first().waitFor();
    await screenshots(page, "identities");
  });

  await step("settings: a DKIM key and the DNS record to publish", async () => {
    await open(page, cfg.base, "/settings", "Settings");
    await settled(page);
    await page.getByTestId("dkim-domain").selectOption(cfg.domain);
    await page.getByTestId("dkim-selector").fill("panel1");
    await page.getByTestId("dkim-algorithm").selectOption("ed25519");
    await expectNotice(page, () => page.getByTestId("dkim-generate-button").click(), "Key panel1 generated");
    const name = await page.getByTestId("dkim-dns-name").innerText();
    check(name === `panel1._domainkey.${cfg.domain}`, `DNS name ${JSON.stringify(name)}`);
    const value = await page.getByTestId("dkim-dns-value").innerText();
    check(value.startsWith("v=DKIM1;"), `DNS value ${JSON.stringify(value)}`);
    await page.getByTestId("dkim-row").filter({ hasText: "panel1" }).waitFor();
    await screenshots(page, "settings-dkim");
  });
  await step("the phone menu collapses and opens", async () => {
    await page.setViewportSize(PHONE);
    const nav = page.locator("#nav");
    check(!(await nav.isVisible()), "the nav is open on a phone before the menu button is pressed");
    await page.getByTestId("nav-toggle").click();
    await nav.waitFor({ state: "visible" });
    await page.screenshot({ path: `${SCREENSHOTS}/nav-open-phone.png` });
    await page.getByTestId("nav-log").click();
    await page.getByRole("heading", { name: "Log search", level: 1 }).waitFor();
    await nav.waitFor({ state: "hidden" });
    await page.setViewportSize(DESKTOP);
  });

  await step("log out", async () => {
    await page.getByTestId("logout").click();
    await page.getByTestId("login-form").waitFor();
  });
  return out;
});

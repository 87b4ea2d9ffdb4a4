// Browser test, part 3: the domain admin of another domain logs in and sees none of the first
// domain: not its users, log entries, quarantine, DKIM keys or dashboard figures, not even by
// typing their addresses; and a lost session sends it back to the login screen.
// Input: {"base", "other_admin", "other_password", "domain", "other_domain", "email_user",
// "ip_user", "log_id", "quarantine_id"}.
import { check, errorShown, input, login, open, screenshots, settled, step, withBrowser } from "./lib.mjs";

const cfg = input();
const seg = encodeURIComponent;

await withBrowser(async (page, context) => {
  await step("the domain admin logs in", async () => {
    await login(page, cfg.base, cfg.other_admin, cfg.other_password);
    const who = await page.getByTestId("who").innerText();
    check(who.includes(cfg.other_domain), `header says ${JSON.stringify(who)}`);
  });

  const bodyLacks = async (what, where) => {
    const text = await page.locator("main").innerText();
    for (const w of what) check(!text.includes(w), `${where} shows ${w}`);
  };
  const first = [cfg.email_user, cfg.ip_user, `abuse@${cfg.domain}`];

  await step("Manage users lists none of the first domain's users", async () => {
    await open(page, cfg.base, "/users", "Manage users");
    for (const tab of ["ip", "user", "domain"]) {
      await page.getByTestId(`tab-${tab}`).click();
      await settled(page);
      await page.locator("[data-testid=users-empty], [data-testid=users-table]").first().waitFor();
      const names = await page.getByTestId("user-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
      check(names.every((n) => n !== cfg.domain && !n.endsWith("@" + cfg.domain) && n !== cfg.ip_user), `tab ${tab} lists ${JSON.stringify(names)}`);
      check((await page.getByTestId("users-domain-filter").count()) === 0, "a domain admin gets the all-domains filter");
    }
    await screenshots(page, "domain-admin-users");
  });

  await step("a first-domain user's page is not found (as a missing one: no id leaks)", async () => {
    await open(page, cfg.base, `/users/${seg(cfg.email_user)}`);
    await page.getByTestId("error").waitFor();
    const err = await errorShown(page);
    check(/\b404\b/.test(err), `user page error: ${err}`);  // another domain's user: as a missing one
    check((await page.getByTestId("user-page").count()) === 0, "the user's page was shown");
  });

  await step("Log search shows none of the first domain's messages", async () => {
    await open(page, cfg.base, "/log", "Log search");
    await settled(page);
    await page.locator("[data-testid=log-empty], [data-testid=log-table]").first().waitFor();
    await bodyLacks(first, "log search");
    await page.getByTestId("log-sender").fill(cfg.email_user);
    await Promise.all([
      page.waitForResponse((r) => r.url().includes("/api/v1/log?") && r.url().includes("sender=")),
      page.getByTestId("log-search").click(),
    ]);
    await settled(page);
    check((await page.getByTestId("log-row").count()) === 0, "log search by the first domain's sender found rows");
    await open(page, cfg.base, `/log/${seg(cfg.log_id)}`);
    await page.getByTestId("error").waitFor();
    const err = await errorShown(page);
    check(/\b404\b/.test(err), `log entry error: ${err}`);
    check((await page.getByTestId("log-entry").count()) === 0, "the log entry was shown");
  });

  await step("the quarantine shows none of the first domain's messages", async () => {
    await open(page, cfg.base, "/quarantine", "Quarantine");
    await settled(page);
    await page.locator("[data-testid=quarantine-empty], [data-testid=quarantine-table]").first().waitFor();
    await bodyLacks(first, "quarantine");
    await open(page, cfg.base, `/quarantine/${seg(cfg.quarantine_id)}`);
    await page.getByTestId("error").waitFor();
    const err = await errorShown(page);
    check(/\b404\b/.test(err), `quarantine item error: ${err}`);
    check((await page.getByTestId("quarantine-item").count()) === 0, "the quarantined message was shown");
  });

  await step("domains and DKIM show only its own domain", async () => {
    await open(page, cfg.base, "/domains", "Domains");
    await page.getByTestId("domains-table").waitFor();
    const names = await page.getByTestId("domain-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-name")));
    check(JSON.stringify(names) === JSON.stringify([cfg.other_domain]), `domains listed: ${JSON.stringify(names)}`);
    check((await page.getByTestId("add-domain").count()) === 0, "a domain admin is offered Add domain");
    check((await page.getByTestId("accounts").count()) === 0, "a domain admin is offered accounts");
    await open(page, cfg.base, "/settings", "Settings");
    await settled(page);
    await bodyLacks([`panel1._domainkey.${cfg.domain}`], "DKIM keys");
    await screenshots(page, "domain-admin-settings");
  });

  await step("the dashboard shows none of the first domain's senders", async () => {
    await open(page, cfg.base, "/", "Dashboard");
    await page.getByTestId("chart").waitFor();
    await settled(page);
    await bodyLacks(first, "dashboard");
    const sent = Number(await page.getByTestId("total-sent").locator(".total-value").innerText());
    check(sent === 0, `the other domain's dashboard counts ${sent} sent`);
    await screenshots(page, "domain-admin-dashboard");
  });

  await step("a lost session goes back to the login screen", async () => {
    await context.clearCookies();
    await page.getByTestId("nav-users").click();
    await page.getByTestId("login-form").waitFor();
  });
  return {};
});

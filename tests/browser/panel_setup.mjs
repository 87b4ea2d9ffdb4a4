// Browser test, part 1: the admin logs in, adds the domains and a domain admin account, and adds
// one user of each kind with "Add & configure", setting several settings in the form built
// from /user-settings. Input: {"base", "admin", "password", "domain", "other_domain",
// "ip_user", "email_user", "email_password", "domain_password", "other_admin",
// "other_password"}. Prints "RESULT {...}" with what it added.
import { check, expectNotice, input, login, open, screenshots, settled, step, withBrowser } from "./lib.mjs";

const cfg = input();

await withBrowser(async (page) => {
  await step("login screen", async () => {
    await page.goto(cfg.base + "/");
    await page.getByTestId("login-form").waitFor();
    await screenshots(page, "login");
  });
  await step("a wrong password is refused", async () => {
    await page.getByTestId("login-username").fill(cfg.admin);
    await page.getByTestId("login-password").fill(cfg.password + "-wrong");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("login-error").waitFor();
  });
  await step("admin logs in", () => login(page, cfg.base, cfg.admin, cfg.password));

  await step("add the domains", async () => {
    await open(page, cfg.base, "/domains", "Domains");
    for (const [name, contact] of [
      [cfg.domain, `abuse@${cfg.domain}`],
      [cfg.other_domain, `abuse@${cfg.other_domain}`],
    ]) {
      await page.getByTestId("domain-name").fill(name);
      await page.getByTestId("domain-contact").fill(contact);
      await expectNotice(page, () => page.getByTestId("domain-add").click(), `${name} added`);
      await page.locator(`[data-testid=domain-row][data-name="${name}"]`).waitFor();
    }
  });

  await step("add a domain admin for the other domain", async () => {
    const accounts = page.getByTestId("accounts");
    await accounts.getByTestId("account-username").fill(cfg.other_admin);
    await accounts.getByTestId("account-password").fill(cfg.other_password);
    await accounts.getByTestId("account-role").selectOption("domain");
    await accounts.getByTestId("account-domain").selectOption(cfg.other_domain);
    await expectNotice(page, () => accounts.getByTestId("account-add").click(), `Account ${cfg.other_admin} added`);
    await accounts.getByTestId("account-row").filter({ hasText: cfg.other_admin }).waitFor();
    await screenshots(page, "domains");
  });

  // Every setting of the seeds, from the definitions the form itself is built from: a value
  // other than the default for each (the same template name for lock_template, which has one).
  const defs = await page.evaluate(async () => (await (await fetch("/api/v1/user-settings")).json()).items);
  check(defs.length >= 30, `only ${defs.length} setting definitions`);
  const everySetting = {};
  const everyValue = {};
  for (const d of defs) {
    let how = "fill";
    let value;
    if (d.type === "bool") {
      how = "check";
      value = !["true", "on", "yes", "1"].includes(String(d.default));
    } else if (d.type === "int") {
      const def = Number(d.default);
      value = String(def + 1 <= Number(d.max) ? def + 1 : def - 1);
    } else if (d.type === "choice") {
      how = "select";
      value = d.choices.find((c) => c !== d.default);
    } else if (d.type === "domain") {
      value = cfg.domain;
    } else if (d.type === "identity_rules") {
      value = '[{"header":"X-Client-ID","remove":true}]';
    } else if (d.key === "lock_template") {
      value = "lock";
    } else if (d.key === "dkim_selector") {
      value = "panel2026";
    } else {
      value = `every setting from the panel (${d.key})`;
    }
    everySetting[d.key] = [how, value];
    everyValue[d.key] = typeof value === "boolean" ? String(value) : value;
  }

  // One user of each kind, each with "Add & configure": the settings form, then Save. A fourth
  // (an IP user: every setting applies to IP users) gets every setting at once.
  const users = [
    {
      tab: "ip",
      name: cfg.ip_user,
      fill: async () => {
        await page.getByTestId("add-owner").selectOption(cfg.domain);
      },
      settings: {
        quarantine_response: ["select", "accepted"],
        max_recipients_per_day: ["fill", "500"],
        lock_timeout_minutes: ["fill", "30"],
        description: ["fill", "smarthost of the browser test"],
      },
    },
    {
      tab: "user",
      name: cfg.email_user,
      fill: async () => {
        await page.getByTestId("add-password").fill(cfg.email_password);
      },
      settings: {
        messages_per_hour: ["fill", "50"],
        lock_identities: ["check", true],
        automatic_lock: ["check", false],
        description: ["fill", "mail client of the browser test"],
      },
    },
    {
      tab: "domain",
      name: cfg.domain,
      fill: async () => {
        await page.getByTestId("add-password").fill(cfg.domain_password);
      },
      settings: {
        connection_limits: ["check", true],
        limit_per_minute: ["fill", "30"],
        archive: ["check", true],
      },
    },
    {
      tab: "ip",
      name: cfg.every_user,
      fill: async () => {
        await page.getByTestId("add-owner").selectOption(cfg.domain);
      },
      settings: everySetting,
    },
  ];
  await open(page, cfg.base, "/users", "Manage users");
  for (const u of users) {
    await step(`add ${u.tab} user ${u.name} with Add & configure`, async () => {
      await page.getByTestId(`tab-${u.tab}`).click();
      await page.getByTestId("add-name").fill(u.name);
      await u.fill();
      await page.getByTestId("add-configure").click();
      const form = page.getByTestId("configure-form");
      await form.waitFor();
      await form.getByTestId("setting-identification_method").waitFor();
      // Only the settings that apply to the kind: re-authentication is for IP users only.
      const reauth = await form.getByTestId("setting-reauth_permitted").count();
      check((reauth > 0) === (u.tab === "ip"), `reauth_permitted shown=${reauth > 0} for kind ${u.tab}`);
      // Every setting shows its help text.
      const help = await form.getByTestId("setting-quarantine_response").locator(".help").innerText();
      check(help.length > 20, `quarantine_response has no help text: ${JSON.stringify(help)}`);
      for (const [key, [how, value]] of Object.entries(u.settings)) {
        const field = form.locator(`#set-${key}`);
        if (how === "select") await field.selectOption(value);
        else if (how === "check") await field.setChecked(value);
        else await field.fill(value);
      }
      if (u.tab === "ip") await screenshots(page, "users-add-configure");
      await expectNotice(page, () => form.getByTestId("save-new-user").click(), `${u.name} added with its settings`);
      await page.locator(`[data-testid=user-row][data-name="${u.name}"]`).waitFor();
    });
  }
  await step("users list", async () => {
    await page.getByTestId("tab-user").click();
    await page.locator(`[data-testid=user-row][data-name="${cfg.email_user}"]`).waitFor();
    await screenshots(page, "users");
  });

  await step("the user's screen shows the saved settings", async () => {
    await page.locator(`[data-testid=user-row][data-name="${cfg.email_user}"] a`).first().click();
    await page.getByTestId("user-page").waitFor();
    await settled(page);
    check((await page.locator("#set-messages_per_hour").inputValue()) === "50", "messages_per_hour is not 50 on the user's screen");
    check(!(await page.locator("#set-automatic_lock").isChecked()), "automatic_lock still on");
    await screenshots(page, "user-settings");
  });

  await step("edit a setting, lock and unlock on the user's screen", async () => {
    await page.locator("#set-max_recipients_per_day").fill("250");
    await expectNotice(page, () => page.getByTestId("save-settings").click(), "Settings saved");
    await page.getByTestId("lock-reason").fill("browser test lock");
    await expectNotice(page, () => page.getByTestId("lock").click(), "Locked");
    await page.getByTestId("unlock").waitFor();
    check((await page.getByTestId("user-state").innerText()) === "locked", "user not shown as locked");
    await expectNotice(page, () => page.getByTestId("unlock").click(), "Unlocked");
    await page.getByTestId("lock").waitFor();
  });

  await step("add and delete a throwaway user", async () => {
    await open(page, cfg.base, "/users", "Manage users");
    await page.getByTestId("tab-user").click();
    const name = `gone@${cfg.domain}`;
    await page.getByTestId("add-name").fill(name);
    await expectNotice(page, () => page.getByTestId("add-plain").click(), `${name} added`);
    await page.getByTestId("generated-password").waitFor();
    const row = page.locator(`[data-testid=user-row][data-name="${name}"]`);
    await row.getByTestId("delete-user").click();
    await expectNotice(page, () => row.getByTestId("delete-user-confirm").click(), `${name} deleted`);
    await row.waitFor({ state: "detached" });
  });

  await step("settings: abuse contact", async () => {
    await open(page, cfg.base, "/settings", "Settings");
    await settled(page);
    await page.getByTestId("abuse-contact-input").fill(`postmaster@${cfg.domain}`);
    await expectNotice(page, () => page.getByTestId("abuse-contact-save").click(), "Abuse contact saved");
    await screenshots(page, "settings");
  });
  return { added: users.map((u) => u.name), every_setting: everyValue };
});

"""The web panel (F-PANEL) in a real browser: Debian's Chromium driven by playwright-core
(tests/browser/*.mjs) against a real gateway serving the built panel (web/dist) and the REST API
on `--http`, delivering through `--relay-host` to a real receiver.

The admin made with `postwarden admin add` logs in, adds two domains and a domain admin, and one
user of each kind with "Add & configure"; the test checks with the CLI that the settings are
stored, then sends a normal message and a GTUBE one with smtplib as those users (the GTUBE one
is quarantined and, because the panel set quarantine_response=accepted, answered with 250). The
admin finds both in Log search with their decision trail, releases the quarantined one (it must
reach the receiver), views the dashboard; the other domain's admin sees none of it. Screenshots
at desktop and 375-px phone size go to tests/e2e/screenshots/.
"""
from __future__ import annotations

import email
import email.policy
import email.utils
import json
import os
import pathlib
import re
import shutil
import smtplib
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import REPO, free_port, wait_until
from delivery_fixtures import RELAY_ADDR, dns, make_gateway, mx_port, receivers

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

BROWSER_DIR = REPO / "tests" / "browser"
WEB_DIST = REPO / "web" / "dist"
PLAYWRIGHT = REPO / "web" / "node_modules" / "playwright-core" / "package.json"
SCREENSHOTS = REPO / "tests" / "e2e" / "screenshots"
CHROMIUM = pathlib.Path(os.environ.get("PW_CHROMIUM", "/usr/bin/chromium"))
SCRIPT_TIMEOUT_S = 240.0
HTTP_START_TIMEOUT_S = 20.0

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
DOMAIN = "sender.test"
OTHER_DOMAIN = "other.test"
ADMIN, ADMIN_PASSWORD = "admin", "Hunter-Gate-7731!x"
OTHER_ADMIN, OTHER_PASSWORD = "otheradmin", "Blue-River-4420!q"
IP_USER, IP_ADDR = "127.0.0.2/32", "127.0.0.2"
EVERY_USER = "127.0.0.50/32"  # an IP user given every setting in the panel; it sends nothing
EMAIL_USER, EMAIL_PASSWORD = f"alice@{DOMAIN}", "Green-Lamp-9182!z"
DOMAIN_PASSWORD = "Quiet-Stone-5521!k"
RECIPIENT = "bob@dest.test"
NORMAL_SUBJECT = "Quarterly figures from the panel test"
SPAM_SUBJECT = "Cheap watches from the panel test"
FALSE = {"false", "off", "no", "0"}
TRUE = {"true", "on", "yes", "1"}


def tls_context() -> ssl.SSLContext:
    """The gateway's certificate is self-signed: encrypt, do not verify."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def https_get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, context=tls_context(), timeout=5) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_http(base: str, gw) -> None:
    def answers():
        try:
            return https_get(base + "/api/v1/me")[0] == 401
        except OSError:
            return False
    assert wait_until(answers, HTTP_START_TIMEOUT_S, interval=0.2), (
        f"no HTTPS answer on {base} within {HTTP_START_TIMEOUT_S} s\n{gw.log_text()[-4000:]}")


def run_script(name: str, cfg: dict) -> dict:
    """Runs tests/browser/NAME with cfg; fails the test with its steps and errors."""
    try:
        proc = subprocess.run([shutil.which("node") or "node", str(BROWSER_DIR / name), json.dumps(cfg)],
                              capture_output=True, text=True, timeout=SCRIPT_TIMEOUT_S, cwd=REPO)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{name} ran longer than {SCRIPT_TIMEOUT_S} s:\n{e.stdout}\n{e.stderr}")
    if proc.returncode != 0:
        pytest.fail(f"{name} failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
                    f"{proc.stderr[-8000:]}")
    results = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert results, f"{name} printed no RESULT line:\n{proc.stdout[-3000:]}"
    return json.loads(results[-1][len("RESULT "):])


def settings_of(gw, name: str) -> dict[str, str]:
    shown = json.loads(gw.cli("user", "show", name, "--json").stdout)
    return {d["key"]: str(d["value"]).lower() for d in shown["settings_detail"]}


def message(subject: str, sender: str, body: str) -> bytes:
    # Date and Message-ID as a mail user agent writes them: the gateway adds nothing (RFC 6409
    # 8.2, 8.3), so a passed message has an empty decision trail.
    return (f"From: <{sender}>\r\nTo: <{RECIPIENT}>\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate(localtime=True)}\r\n"
            f"Message-ID: <{time.monotonic_ns()}@panel.e2e.test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}\r\n").encode()


def submit(port: int, source: str, sender: str, data: bytes,
           login: tuple[str, str] | None = None) -> tuple[int, str]:
    """One message with smtplib; returns the reply to the data."""
    with smtplib.SMTP("127.0.0.1", port, source_address=(source, 0), timeout=20,
                      local_hostname="client.panel.test") as smtp:
        smtp.ehlo()
        smtp.starttls(context=tls_context())
        smtp.ehlo()
        if login:
            smtp.login(*login)
        code, reply = smtp.mail(sender)
        assert code == 250, f"MAIL FROM: {code} {reply!r}"
        code, reply = smtp.rcpt(RECIPIENT)
        assert code == 250, f"RCPT TO: {code} {reply!r}"
        code, reply = smtp.data(data)
        return code, reply.decode(errors="replace")


def top_subject(received) -> str:
    return str(email.message_from_bytes(received.raw, policy=email.policy.default)["Subject"])


def test_panel_in_a_real_browser(make_gateway, receivers, mx_port):
    for need, what in [(WEB_DIST / "index.html", "the built panel"),
                       (PLAYWRIGHT, "playwright-core (npm ci in web/)"), (CHROMIUM, "chromium")]:
        if not need.exists():
            pytest.fail(f"{what} missing at {need}: run scripts/setup.sh")
    if SCREENSHOTS.exists():
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()

    relay = receivers(RELAY_ADDR)
    http_port = free_port()
    gw = make_gateway(provision=False, start=False,
                      overrides={"http": {"web_root": str(WEB_DIST)}},
                      serve_args=["--relay-host", f"{RELAY_ADDR}:{mx_port}",
                                  "--http", f"127.0.0.1:{http_port}"])
    gw.cli("admin", "add", ADMIN, "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    gw.start()
    base = f"https://127.0.0.1:{http_port}"
    wait_http(base, gw)

    # The panel is served from web/dist under the CSP; unknown paths fall back to index.html.
    status, headers, body = https_get(base + "/")
    assert status == 200 and b"/assets/app.js" in body, (status, body[:300])
    csp = {k.lower(): v for k, v in headers.items()}.get("content-security-policy", "")
    assert "default-src 'self'" in csp, f"CSP: {csp!r}"
    status, _, deep = https_get(base + "/some/screen/of/the/panel")
    assert status == 200 and deep == body
    status, _, script = https_get(base + "/assets/app.js")
    assert status == 200 and len(script) > 10000

    cfg = {"base": base, "admin": ADMIN, "password": ADMIN_PASSWORD, "domain": DOMAIN,
           "other_domain": OTHER_DOMAIN, "ip_user": IP_USER, "email_user": EMAIL_USER,
           "email_password": EMAIL_PASSWORD, "domain_password": DOMAIN_PASSWORD,
           "other_admin": OTHER_ADMIN, "other_password": OTHER_PASSWORD, "every_user": EVERY_USER}
    setup = run_script("panel_setup.mjs", cfg)

    # Every setting set in one Add & configure form was stored as it was set.
    every = settings_of(gw, EVERY_USER)
    wanted = setup["every_setting"]
    assert len(wanted) >= 30 and set(wanted) == set(every), sorted(set(wanted) ^ set(every))
    for key, value in wanted.items():
        if key == "identity_headers":
            assert json.loads(every[key]) == json.loads(value.lower()), (key, every[key], value)
        else:
            assert every[key] == str(value).lower(), (key, every[key], value)

    # What the panel's forms set is what the gateway stored.
    ip = settings_of(gw, IP_USER)
    assert ip["quarantine_response"] == "accepted" and ip["max_recipients_per_day"] == "500"
    assert ip["lock_timeout_minutes"] == "30"
    alice = settings_of(gw, EMAIL_USER)
    assert alice["messages_per_hour"] == "50" and alice["lock_identities"] in TRUE
    assert alice["automatic_lock"] in FALSE and alice["max_recipients_per_day"] == "250"
    dom = settings_of(gw, DOMAIN)
    assert dom["connection_limits"] in TRUE and dom["limit_per_minute"] == "30"
    assert dom["archive"] in TRUE
    users = json.loads(gw.cli("user", "list", "--json").stdout)
    names = sorted(u.get("name") for u in users)
    assert names == sorted([IP_USER, EMAIL_USER, DOMAIN, EVERY_USER]), names  # throwaway gone

    # Mail through the gateway as the users the panel made: the password is the panel's.
    code, reply = submit(gw.port, "127.0.0.1", EMAIL_USER,
                         message(NORMAL_SUBJECT, EMAIL_USER, "The figures are attached."),
                         login=(EMAIL_USER, EMAIL_PASSWORD))
    assert code == 250, reply
    code, reply = submit(gw.port, "127.0.0.1", f"robot@{DOMAIN}",
                         message("Domain user check", f"robot@{DOMAIN}", "Hello."),
                         login=(DOMAIN, DOMAIN_PASSWORD))
    assert code == 250, reply
    # quarantine_response=accepted (set in the panel): held, yet answered 250.
    code, reply = submit(gw.port, IP_ADDR, f"shop@{DOMAIN}",
                         message(SPAM_SUBJECT, f"shop@{DOMAIN}", f"Buy now.\r\n{GTUBE}"))
    assert code == 250, f"GTUBE from the IP user: {code} {reply}"

    delivered = lambda subject: [m for m in relay.messages() if top_subject(m) == subject]
    assert wait_until(lambda: delivered(NORMAL_SUBJECT), 30, interval=0.2), (
        f"normal message not delivered; receiver commands:\n{relay.commands()[-2000:]}")
    held = lambda: json.loads(gw.cli("quarantine", "list", "--json").stdout)
    assert wait_until(lambda: len(held()) == 1, 15, interval=0.2), held()
    assert not delivered(SPAM_SUBJECT)
    # The log is written by a batching writer: wait until both are searchable.
    searched = lambda: json.loads(gw.cli("log", "search", "--json").stdout)
    assert wait_until(lambda: len(searched()) >= 2, 15, interval=0.2), searched()

    review = run_script("panel_review.mjs", {**cfg, "normal_subject": NORMAL_SUBJECT,
                                              "spam_subject": SPAM_SUBJECT, "gtube": GTUBE,
                                              "recipient": RECIPIENT})
    assert review["log_id"] and review["quarantine_id"]
    # Released in the panel: the GTUBE message reaches the receiver.
    assert wait_until(lambda: delivered(SPAM_SUBJECT), 30, interval=0.2), (
        f"released message not delivered; receiver commands:\n{relay.commands()[-2000:]}")
    [released] = delivered(SPAM_SUBJECT)
    assert GTUBE.encode() in released.raw and RECIPIENT in released.meta["rcpt_tos"]

    run_script("panel_isolation.mjs", {**cfg, "log_id": review["log_id"],
                                        "quarantine_id": review["quarantine_id"]})

    for name in ["login", "dashboard", "users", "users-add-configure", "user-settings",
                 "identities", "quarantine", "quarantine-item", "log-search", "log-entry",
                 "log-why-blocked", "settings", "domains", "domain-admin-dashboard"]:
        for size in ["desktop", "phone"]:
            shot = SCREENSHOTS / f"{name}-{size}.png"
            assert shot.is_file() and shot.stat().st_size > 5000, f"{shot} missing"

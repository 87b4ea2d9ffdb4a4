"""/metrics shows every outcome the gateway counts (issue 16, item 2), and one refusal of each kind
moves its own counter by exactly one: relay refusals, AUTH failures, connection refusals, each
check's verdicts, BATV results, and delivery's delivered, deferred, bounced, expired and DSNs.

One real gateway (delivery through dnsmasq to aiosmtpd receivers, the bounce listener, HTTPS for
/metrics) is driven through each event in turn; after each, the page is read again and the
counter must be one more than before, while the other counters of its family stay where they were.
"""
from __future__ import annotations

import re
import smtplib
import socket

import pytest

from conftest import free_port, wait_until
from delivery_fixtures import (MX1_ADDR, SENDER, SENDER_DOMAIN, SENDER_MX_ADDR, dns, make_gateway,
                               message_with, mx_port, receivers)
from http_client import Api, wait_for_https
from test_batv import LIFETIME_DAYS, keys_of, make_tag, today

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

USER = "carol@sender.test"
PASSWORD = "metrics passphrase 2026"
STRANGER = "127.0.0.5"
BOUNCER = "127.0.0.7"
CROWD = "127.0.0.9"  # the client that fills its per-IP limit

# Every family of counters the issue names, with the label values the page must show.
FAMILIES = {
    "postwarden_messages_total": ("result", {"accepted", "rejected", "quarantined", "discarded",
                                             "deferred", "delivered", "bounced", "expired"}),
    "postwarden_dsns_total": ("result", {"sent", "failed"}),
    "postwarden_relay_refusals_total": ("reason", {"unknown_sender", "bounce_not_our_domain",
                                                   "bounce_not_null_sender"}),
    "postwarden_auth_failures_total": ("reason", {"invalid_credentials", "banned",
                                                  "encryption_required", "unknown_mechanism",
                                                  "malformed", "cancelled"}),
    "postwarden_connection_refusals_total": ("reason", {"auth_ban", "max_sessions",
                                                        "reserved_for_known",
                                                        "max_sessions_per_ip",
                                                        "max_tls_refusals"}),
    "postwarden_batv_results_total": ("result", {"valid", "batv_off", "untagged", "malformed",
                                                 "unknown_key", "expired", "bad_hash"}),
    "postwarden_spool_errors_total": ("operation", {"write", "hold", "journal",
                                                    "recover_unreadable", "recover_missing"}),
}
SAMPLE = re.compile(r"^(\w+)(\{[^}]*\})? (\S+)$", re.M)


class Page:
    def __init__(self, port: int):
        self.port = port

    def read(self) -> dict[str, int]:
        answer = Api(self.port).request("GET", "/metrics")
        assert answer.status == 200, answer.status
        return {name + (labels or ""): float(value)
                for name, labels, value in SAMPLE.findall(answer.body.decode())}

    def moved(self, before: dict, after: dict, expected: str, also: tuple = ()) -> None:
        """`expected` (and `also`) moved by one; nothing else in its family moved."""
        family = expected.split("{", 1)[0]
        for key in (expected, *also):
            assert after[key] == before[key] + 1, (key, before[key], after[key])
        others = {k: (before.get(k), v) for k, v in after.items()
                  if k.startswith(family + "{") and k not in (expected, *also)
                  and v != before.get(k)}
        assert not others, f"{expected}: other counters moved too: {others}"


def sample(family: str, label: str, value: str) -> str:
    return f'{family}{{{label}="{value}"}}'


def check(name: str, verdict: str) -> str:
    return f'postwarden_check_verdicts_total{{check="{name}",verdict="{verdict}"}}'


@pytest.fixture
def gateway(make_gateway, tmp_path):
    http_port = free_port()
    inbound_port = free_port()
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>panel</title>")
    node = make_gateway({
        "http": {"listen": f"127.0.0.1:{http_port}", "web_root": str(web)},
        "server": {"max_sessions_per_ip": 2, "reload_interval_ms": 100},
        "batv": {"tag_lifetime_days": LIFETIME_DAYS},
        "delivery": {"max_queue_lifetime_s": 2, "retry_min_s": 1, "retry_max_s": 1},
    }, serve_args=["--listen-inbound", f"127.0.0.1:{inbound_port}"], start=False)
    node.cli("user", "add", "--user", USER, "--password-stdin", stdin=PASSWORD + "\n")
    node.cli("domain", "add", "other.test")
    node.start()
    wait_for_https(http_port)
    node.page = Page(http_port)
    node.inbound_port = inbound_port
    return node


def test_the_page_shows_every_declared_outcome_with_its_type(gateway):
    answer = Api(gateway.page.port).request("GET", "/metrics")
    text = answer.body.decode()
    values = gateway.page.read()
    for family, (label, wanted) in FAMILIES.items():
        assert f"# TYPE {family} counter" in text, family
        shown = {k.split('"')[1] for k in values if k.startswith(family + "{")}
        assert shown == wanted, (family, shown ^ wanted)
        assert all(k.startswith(f"{family}{{{label}=") for k in values if
                   k.startswith(family + "{"))
    checks = {k for k in values if k.startswith("postwarden_check_verdicts_total{")}
    assert len(checks) == 14 * 7, len(checks)


def test_each_smtp_refusal_moves_its_own_counter(gateway):
    page = gateway.page

    # Relay: a stranger's recipient.
    before = page.read()
    wire = gateway.session(source=STRANGER)
    wire.cmd(f"MAIL FROM:<someone@{SENDER_DOMAIN}>")
    wire.expect("RCPT TO:<victim@dest.test>", 550, "5.7.1")
    wire.quit()
    page.moved(before, page.read(), sample("postwarden_relay_refusals_total", "reason",
                                           "unknown_sender"))

    # AUTH: each kind of failure once, after STARTTLS (AUTH is offered only under TLS).
    wire = gateway.session()
    before = page.read()
    wire.expect("AUTH PLAIN dGVzdA==", 538, "5.7.11")
    page.moved(before, page.read(), sample("postwarden_auth_failures_total", "reason",
                                           "encryption_required"))
    wire.starttls()
    wire.ehlo()
    for line, code, reason in [("AUTH CRAM-MD5", 504, "unknown_mechanism"),
                               ("AUTH PLAIN %%%not-base64", 501, "malformed")]:
        before = page.read()
        wire.expect(line, code)
        page.moved(before, page.read(), sample("postwarden_auth_failures_total", "reason", reason))
    before = page.read()
    wire.expect("AUTH LOGIN", 334)
    wire.expect("*", 501, "5.7.0")
    page.moved(before, page.read(), sample("postwarden_auth_failures_total", "reason",
                                           "cancelled"))
    before = page.read()
    wire.check(wire.auth_plain(USER, "not the password"), 535, "5.7.8")
    page.moved(before, page.read(), sample("postwarden_auth_failures_total", "reason",
                                           "invalid_credentials"))
    wire.check(wire.auth_plain(USER, PASSWORD), 235, "2.7.0")

    # A check's verdict: the spam check quarantines GTUBE.
    before = page.read()
    gtube = message_with("gtube", ["XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-"
                                   "EMAIL*C.34X"], sender=USER)
    reply = wire.submit(USER, ["bob@dest.test"], gtube)
    assert reply.code == 550 and "quarantine" in reply.line, reply  # held, and the client told
    after = page.read()
    page.moved(before, after, check("spam", "quarantine"))
    page.moved(before, after, sample("postwarden_messages_total", "result", "quarantined"))
    wire.quit()

    # Connection: a third session from one IP over max_sessions_per_ip = 2.
    before = page.read()
    held = [gateway.session(source=CROWD) for _ in range(2)]
    third = socket.create_connection(("127.0.0.1", gateway.port), timeout=5,
                                     source_address=(CROWD, 0))
    assert third.recv(200).startswith(b"421 "), "the third session is not refused"
    third.close()
    page.moved(before, page.read(), sample("postwarden_connection_refusals_total", "reason",
                                           "max_sessions_per_ip"))
    for wire in held:
        wire.quit()


def bounce(port: int, rcpt: str, mail_from: str = "") -> tuple[int, int | None]:
    with smtplib.SMTP("127.0.0.1", port, timeout=10, source_address=(BOUNCER, 0)) as smtp:
        smtp.ehlo("remote.test")
        mail = smtp.docmd(f"MAIL FROM:<{mail_from}>")[0]
        return mail, (smtp.docmd(f"RCPT TO:<{rcpt}>")[0] if mail == 250 else None)


def test_each_bounce_listener_result_moves_its_own_counter(gateway):
    page, port = gateway.page, gateway.inbound_port
    reloads = gateway.log_text().count("event=senders_reloaded")
    gateway.cli("domain", "set", SENDER_DOMAIN, "batv=on")
    assert wait_until(lambda: gateway.log_text().count("event=senders_reloaded") > reloads, 10)
    assert wait_until(lambda: 0 in keys_of(gateway), 10)
    secret = keys_of(gateway)[0]
    genuine = make_tag(secret, 0, today() + LIFETIME_DAYS, SENDER)
    wrong_hash = genuine[:9] + ("000000" if genuine[9:15] != "000000" else "111111") + genuine[15:]

    batv, relay = "postwarden_batv_results_total", "postwarden_relay_refusals_total"
    cases = [
        ("someone@nowhere.test", 550, sample(relay, "reason", "bounce_not_our_domain")),
        ("bob@other.test", 550, sample(batv, "result", "batv_off")),
        (SENDER, 550, sample(batv, "result", "untagged")),
        (wrong_hash, 550, sample(batv, "result", "bad_hash")),
        (make_tag(secret, 0, today() - 1, SENDER), 550, sample(batv, "result", "expired")),
        (make_tag(b"k" * 32, 5, today() + LIFETIME_DAYS, SENDER), 550,
         sample(batv, "result", "unknown_key")),
        (f"prvs=0zz1abcdef={SENDER}", 550, sample(batv, "result", "malformed")),
        (genuine, 250, sample(batv, "result", "valid")),
    ]
    for rcpt, code, expected in cases:
        before = page.read()
        assert bounce(port, rcpt) == (250, code), rcpt
        page.moved(before, page.read(), expected)

    before = page.read()
    assert bounce(port, SENDER, mail_from="not-null@remote.test")[0] == 550
    page.moved(before, page.read(), sample(relay, "reason", "bounce_not_null_sender"))


def test_delivery_outcomes_and_dsns_move_their_counters(gateway, receivers):
    page = gateway.page
    mx1 = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)  # takes the DSNs

    before = page.read()
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("delivered"))
    gateway.wait_status(queue_id, "delivered")
    mx1.wait_for(1)
    page.moved(before, page.read(), sample("postwarden_messages_total", "result", "delivered"),
               also=(sample("postwarden_messages_total", "result", "accepted"),))

    before = page.read()
    queue_id = gateway.send(SENDER, ["reject-me@dest.test"], message_with("bounced"))
    gateway.wait_status(queue_id, "bounced")
    assert wait_until(lambda: page.read()['postwarden_dsns_total{result="sent"}'] ==
                      before['postwarden_dsns_total{result="sent"}'] + 1, 15)
    after = page.read()
    page.moved(before, after, 'postwarden_dsns_total{result="sent"}')
    assert after['postwarden_messages_total{result="bounced"}'] == \
        before['postwarden_messages_total{result="bounced"}'] + 1

    # A recipient that only ever gets 4xx: deferred, then expired after max_queue_lifetime_s.
    before = page.read()
    queue_id = gateway.send(SENDER, ["tempfail-me@dest.test"], message_with("expires"))
    gateway.wait_status(queue_id, "expired", timeout=20)
    after = page.read()
    assert after['postwarden_messages_total{result="deferred"}'] >= \
        before['postwarden_messages_total{result="deferred"}'] + 1
    assert after['postwarden_messages_total{result="expired"}'] == \
        before['postwarden_messages_total{result="expired"}'] + 1

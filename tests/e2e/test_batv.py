"""Bounce address tag validation (F-BATV, draft-levine-smtp-batv-01): the envelope sender of mail
for a domain with batv on leaves with a prvs= tag, recomputed here with Python's hmac from the key
in the node database; the bounce listener (`serve --listen-inbound`) takes a genuine bounce (null
sender to the exact tagged address), spools it and delivers it to the original address's route,
and refuses with 550 5.7.1 every forged one (untagged, wrong hash, expired, unknown key, unknown
domain, batv off) and any non-null sender, with nothing arriving for them; an accepted bounce that
fails delivery causes no DSN. Keys rotate while the gateway runs: the previous key still verifies,
new mail gets the new key number. The listener also comes from `[inbound]` in the config file.
"""
import hashlib
import hmac
import json
import re
import smtplib
import sqlite3
import time

import pytest

from conftest import free_port, wait_until
from delivery_fixtures import (MX1_ADDR, ROUTE_ADDR, SENDER, SENDER_DOMAIN, SENDER_MX_ADDR, dns,
                               make_gateway, message_with, mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

LIFETIME_DAYS = 7
BOUNCER_ADDR = "127.0.0.7"  # a remote MTA sending a bounce: not a sender of the gateway
TAG = re.compile(r"^prvs=(\d)(\d{3})([0-9a-f]{6})=(.+@.+)$")
BOUNCE = (b"From: MAILER-DAEMON@remote.test\r\nTo: <%s>\r\nSubject: Undelivered Mail\r\n"
          b"Auto-Submitted: auto-replied\r\n\r\nYour message could not be delivered.\r\n")


# --- an implementation of the tag that is not the gateway's -----------------------------------
def keys_of(gateway) -> dict[int, bytes]:
    """Key number -> secret of the keys in use (not retired), newest per number."""
    with sqlite3.connect(gateway.data_dir / "postwarden.db") as db:
        rows = db.execute("SELECT number, secret FROM batv_keys WHERE retired_at IS NULL "
                          "ORDER BY id").fetchall()
    return {number: bytes.fromhex(secret) for number, secret in rows}


def today() -> int:
    return int(time.time()) // 86400


def make_tag(secret: bytes, key: int, day: int, address: str) -> str:
    """prvs=KDDDSSSSSS=address: SSSSSS = first 3 bytes of HMAC-SHA1(secret, "KDDD" + address)."""
    head = f"{key}{day % 1000:03d}"
    local, domain = address.rsplit("@", 1)
    digest = hmac.new(secret, (head + local + "@" + domain.lower()).encode(), hashlib.sha1)
    return f"prvs={head}{digest.hexdigest()[:6]}={address}"


def check_tag(gateway, tagged: str, original: str) -> int:
    """Asserts that `tagged` is a valid fresh tag of `original`; returns its key number."""
    m = TAG.match(tagged)
    assert m, f"not a prvs= tag: {tagged!r}"
    key, day, _, address = int(m[1]), int(m[2]), m[3], m[4]
    assert address == original
    assert day in {(today() + LIFETIME_DAYS) % 1000, (today() + 1 + LIFETIME_DAYS) % 1000}, day
    keys = keys_of(gateway)
    assert key in keys, f"key {key} not in use: {sorted(keys)}"
    assert tagged == make_tag(keys[key], key, day, original), "the hash does not verify"
    return key


# --- set-up -----------------------------------------------------------------------------------
def reloads(gateway) -> int:
    return gateway.log_text().count("event=senders_reloaded")


def changed_while_serving(gateway, *args: str) -> None:
    """Runs the CLI and waits until the running gateway has reloaded after it."""
    before = reloads(gateway)
    gateway.cli(*args)
    assert wait_until(lambda: reloads(gateway) > before, 10, interval=0.05), (
        f"no reload after {' '.join(args)}:\n{gateway.log_text()[-3000:]}")


@pytest.fixture
def inbound_port() -> int:
    return free_port()


@pytest.fixture
def batv_gateway(make_gateway, inbound_port):
    """sender.test (IP sender 127.0.0.2) and other.test (IP sender 127.0.0.3, batv off), with the
    bounce listener on 127.0.0.1:inbound_port; batv is switched on for sender.test while the
    gateway runs (a running `serve` must see it without a restart)."""
    gateway = make_gateway(
        {"server": {"reload_interval_ms": 100}, "batv": {"tag_lifetime_days": LIFETIME_DAYS}},
        serve_args=["--listen-inbound", f"127.0.0.1:{inbound_port}"], start=False)
    gateway.cli("domain", "add", "other.test")
    gateway.cli("user", "add", "--ip", "127.0.0.3/32", "--owner", "other.test")
    gateway.start()
    assert keys_of(gateway) == {}
    changed_while_serving(gateway, "domain", "set", SENDER_DOMAIN, "batv=on")
    assert sorted(keys_of(gateway)) == [0], "the first key comes with the first batv=on"
    return gateway


def send_tagged(gateway, mx1, subject: str) -> str:
    """Sends alice@sender.test -> bob@dest.test; returns the MAIL FROM mx1 got."""
    count = len(mx1.messages())
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with(subject))
    got = mx1.wait_for(count + 1)[-1]
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["mail_from"] == SENDER, "the log keeps the original envelope sender"
    return got.mail_from


def bounce(port: int, rcpt: str, mail_from: str = "") -> tuple:
    """One bounce over smtplib: (MAIL reply, RCPT reply, DATA reply or None)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10, source_address=(BOUNCER_ADDR, 0)) as smtp:
        code, _ = smtp.ehlo("remote.test")
        assert code == 250
        mail = smtp.docmd(f"MAIL FROM:<{mail_from}>")
        if mail[0] != 250:
            return mail, None, None
        rcpt_reply = smtp.docmd(f"RCPT TO:<{rcpt}>")
        if rcpt_reply[0] != 250:
            return mail, rcpt_reply, smtp.docmd("DATA")
        data = smtp.data(BOUNCE % rcpt.encode())
        return mail, rcpt_reply, data


def refused(reply, fragment: str) -> None:
    code, text = reply
    text = text.decode()
    assert code == 550 and text.startswith("5.7.1 "), (code, text)
    assert fragment in text, (fragment, text)


# --- the tests --------------------------------------------------------------------------------
def test_outgoing_sender_is_tagged_and_a_genuine_bounce_reaches_the_original_address(
        batv_gateway, receivers, inbound_port):
    mx1 = receivers(MX1_ADDR)
    tagged = send_tagged(batv_gateway, mx1, "tag me")
    assert check_tag(batv_gateway, tagged, SENDER) == 0

    # The sender domain's MX is down: the accepted bounce waits in the spool, rewritten.
    mail, rcpt, data = bounce(inbound_port, tagged)
    assert mail[0] == 250 and rcpt[0] == 250, (mail, rcpt)
    assert data[0] == 250 and data[1].startswith(b"2.0.0 Ok: queued as "), data
    queue_id = data[1].decode().rsplit(" ", 1)[1]
    spooled = batv_gateway.spooled(queue_id)
    assert spooled.envelope["mail_from"] == "" and spooled.envelope["rcpt_to"] == [SENDER]
    assert spooled.raw.endswith(BOUNCE % tagged.encode())
    sender_mx = receivers(SENDER_MX_ADDR)
    (got,) = sender_mx.wait_for(1)
    assert got.mail_from == "", "a bounce keeps the null sender"
    assert got.meta["rcpt_tos"] == [SENDER], "the recipient is rewritten to the original"
    assert b"Your message could not be delivered." in got.raw
    shown = batv_gateway.wait_status(queue_id, "delivered")
    assert shown["mail_from"] == "" and [r["rcpt"] for r in shown["recipients"]] == [SENDER]
    log = batv_gateway.log_text()
    assert f"event=batv_valid client={BOUNCER_ADDR} to=<{tagged}> original=<{SENDER}> key=0" in log
    assert f"event=batv_bounce_accepted id={queue_id}" in log


def test_bounce_goes_to_the_domain_route_when_set(batv_gateway, receivers, inbound_port):
    route_port = free_port()
    routed = receivers(ROUTE_ADDR, name="route", port=route_port)
    sender_mx = receivers(SENDER_MX_ADDR)
    changed_while_serving(batv_gateway, "domain", "set", SENDER_DOMAIN,
                          f"route={ROUTE_ADDR}:{route_port}")
    tagged = make_tag(keys_of(batv_gateway)[0], 0, today() + 3, "carol@sender.test")
    mail, rcpt, data = bounce(inbound_port, tagged)
    assert (mail[0], rcpt[0], data[0]) == (250, 250, 250), (mail, rcpt, data)
    (got,) = routed.wait_for(1)
    assert got.mail_from == "" and got.meta["rcpt_tos"] == ["carol@sender.test"]
    time.sleep(0.5)
    assert sender_mx.messages() == [], "the route replaces the MX"


def test_forged_bounces_are_refused_and_nothing_arrives(batv_gateway, receivers, inbound_port):
    sender_mx = receivers(SENDER_MX_ADDR)
    secret = keys_of(batv_gateway)[0]
    genuine = make_tag(secret, 0, today() + LIFETIME_DAYS, SENDER)
    wrong_hash = genuine[:9] + ("000000" if genuine[9:15] != "000000" else "111111") + genuine[15:]
    expired = make_tag(secret, 0, today() - 1, SENDER)  # its last day was yesterday
    too_old = make_tag(secret, 0, today() - 200, SENDER)
    unknown_key = make_tag(b"k" * 32, 5, today() + LIFETIME_DAYS, SENDER)
    cases = [
        (SENDER, "this gateway did not tag"),
        (wrong_hash, "(bad_hash)"),
        (genuine.replace("=alice@", "=mallory@"), "(bad_hash)"),
        (expired, "(expired)"),
        (too_old, "(expired)"),
        (unknown_key, "(unknown_key)"),
        ("prvs=0zz1abcdef=alice@sender.test", "(malformed)"),
        ("prvs=0123abcdef=nobody@elsewhere.test", "Relay not permitted!"),
        (make_tag(secret, 0, today() + 2, "bob@other.test"), "did not tag"),
    ]
    for rcpt, fragment in cases:
        mail, rcpt_reply, data = bounce(inbound_port, rcpt)
        assert mail[0] == 250, mail
        refused(rcpt_reply, fragment)
        assert data[0] == 554, f"DATA after a refused RCPT: {data}"
    log = batv_gateway.log_text()
    for reason in ("untagged", "bad_hash", "expired", "unknown_key", "malformed", "relay",
                   "batv_off"):
        assert f"event=batv_refused stage=rcpt reason={reason} " in log, reason
    # The one genuine bounce arrives, alone: none of the refused ones was queued.
    mail, rcpt_reply, data = bounce(inbound_port, genuine)
    assert (rcpt_reply[0], data[0]) == (250, 250), (rcpt_reply, data)
    messages = sender_mx.wait_for(1)
    time.sleep(1.0)
    assert len(sender_mx.messages()) == 1, [m.meta for m in sender_mx.messages()]
    assert messages[0].meta["rcpt_tos"] == [SENDER]


def test_non_null_sender_and_auth_are_refused(batv_gateway, inbound_port):
    tagged = make_tag(keys_of(batv_gateway)[0], 0, today() + 1, SENDER)
    mail, rcpt, data = bounce(inbound_port, tagged, mail_from="spammer@remote.test")
    refused(mail, "accepts only delivery status notifications")
    assert rcpt is None
    with smtplib.SMTP("127.0.0.1", inbound_port, timeout=10,
                      source_address=(BOUNCER_ADDR, 0)) as smtp:
        code, features = smtp.ehlo("remote.test")
        assert code == 250
        assert b"STARTTLS" in features and b"AUTH" not in features, features
        assert smtp.docmd("AUTH PLAIN AGFsaWNlAHNlY3JldA==")[0] == 502
        assert smtp.docmd(f"RCPT TO:<{tagged}>")[0] == 503
    assert "event=batv_refused stage=mail reason=not_null_sender" in batv_gateway.log_text()


def test_rotation_while_serving_keeps_the_previous_key_valid(
        batv_gateway, receivers, inbound_port):
    mx1 = receivers(MX1_ADDR)
    sender_mx = receivers(SENDER_MX_ADDR)
    first = send_tagged(batv_gateway, mx1, "before rotation")
    assert check_tag(batv_gateway, first, SENDER) == 0
    changed_while_serving(batv_gateway, "batv", "rotate")
    assert sorted(keys_of(batv_gateway)) == [0, 1]
    second = send_tagged(batv_gateway, mx1, "after rotation")
    assert check_tag(batv_gateway, second, SENDER) == 1
    listed = {k["number"]: k for k in
              json.loads(batv_gateway.cli("batv", "list", "--json").stdout)}
    assert listed[1]["state"] == "current" and listed[0]["state"] == "verifying"
    assert listed[0]["verifies_until"] is not None
    listing = batv_gateway.cli("batv", "list").stdout
    for secret in keys_of(batv_gateway).values():
        assert secret.hex() not in listing, "batv list must never print a secret"
    for tagged in (first, second):
        mail, rcpt, data = bounce(inbound_port, tagged)
        assert (rcpt[0], data[0]) == (250, 250), (tagged, rcpt, data)
    got = sender_mx.wait_for(2)
    assert [m.meta["rcpt_tos"] for m in got] == [[SENDER], [SENDER]]


def test_domain_with_batv_off_is_not_tagged(batv_gateway, receivers):
    mx1 = receivers(MX1_ADDR)
    queue_id = batv_gateway.send("bob@other.test", ["carol@dest.test"],
                                 message_with("untagged", sender="bob@other.test"),
                                 source="127.0.0.3")
    (got,) = mx1.wait_for(1)
    assert got.mail_from == "bob@other.test"
    batv_gateway.wait_status(queue_id, "delivered")
    # Switched off while serving: sender.test's next message goes out untagged too.
    changed_while_serving(batv_gateway, "domain", "set", SENDER_DOMAIN, "batv=off")
    batv_gateway.send(SENDER, ["bob@dest.test"], message_with("batv off"))
    got = mx1.wait_for(2)
    assert got[-1].mail_from == SENDER


def test_an_accepted_bounce_that_fails_delivery_causes_no_dsn(
        batv_gateway, receivers, inbound_port):
    route_port = free_port()
    routed = receivers(ROUTE_ADDR, "reject-rcpt", name="route", port=route_port)
    sender_mx = receivers(SENDER_MX_ADDR)
    changed_while_serving(batv_gateway, "domain", "set", SENDER_DOMAIN,
                          f"route={ROUTE_ADDR}:{route_port}")
    tagged = make_tag(keys_of(batv_gateway)[0], 0, today() + 1, SENDER)
    mail, rcpt, data = bounce(inbound_port, tagged)
    assert data[0] == 250, data
    queue_id = data[1].decode().rsplit(" ", 1)[1]
    shown = batv_gateway.wait_status(queue_id, "bounced")
    assert shown["recipients"][0]["last_reply"].startswith("550 5.1.1")
    assert batv_gateway.spool_empty(), "the failed bounce leaves the spool"
    assert "dsn_sent" not in batv_gateway.events(queue_id)
    assert routed.messages() == [] and sender_mx.messages() == []
    assert "event=dsn " not in batv_gateway.log_text()


def test_listener_from_the_config_file(make_gateway):
    port = free_port()
    gateway = make_gateway({"inbound": {"enabled": True, "listen": [f"127.0.0.1:{port}"]}})
    mail, rcpt, data = bounce(port, "alice@sender.test", mail_from="someone@remote.test")
    refused(mail, "accepts only delivery status notifications")
    mail, rcpt, data = bounce(port, "alice@sender.test")
    refused(rcpt, "did not tag")  # batv is off for sender.test
    assert f"event=listening address=127.0.0.1:{port} tls=starttls mode=inbound" in (
        gateway.log_text())


def test_batv_cli_refuses_bad_input_with_one_line(make_gateway):
    gateway = make_gateway(start=False)
    for args, message in [
            (("domain", "set", SENDER_DOMAIN, "batv=maybe"), "batv must be on or off"),
            (("domain", "set", "missing.test", "batv=on"), "unknown domain missing.test"),
            (("batv", "rotate", "extra"), "extra")]:
        result = gateway.cli(*args, check=False)
        assert result.returncode != 0, args
        assert message in result.stderr and result.stderr.count("\n") <= 2, result.stderr
    assert keys_of(gateway) == {}, "a refused change makes no key"
    assert json.loads(gateway.cli("batv", "list", "--json").stdout) == []

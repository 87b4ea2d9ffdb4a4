"""The policy engine end to end (issue 4: F-LOCK*, F-QRESP, F-RELEASE, F-ARF, F-IDENT,
F-LIMITS, F-RCPT-DAY, F-INVALID-RCPT, F-SIZE, F-FROM, F-REAUTH, F-ARCHIVE, B-MONITOR): real
clients against the gateway, real receivers behind it, a real DNS server for the MX records.
Every test sets the per-user settings with `postwarden user set` and checks what the sender, the
receivers and the CLI see."""
import email
import email.policy
import json
import mailbox
import re
import time

import pytest

from conftest import wait_until
from delivery_fixtures import (MX1_ADDR, SENDER_MX_ADDR, dns, make_gateway, mx_port, receivers)
from smtp_wire import message

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
IP_USER = "127.0.0.2/32"
SENDER = "alice@sender.test"
ADMIN = "abuse@sender.test"
RCPT = "bob@dest.test"


def attempt(gw, mail_from, rcpts, data, source="127.0.0.2"):
    """One transaction; returns the first refusal or the reply to the data."""
    wire = gw.session(source=source)
    try:
        reply = wire.cmd(f"MAIL FROM:<{mail_from}>")
        if reply.code != 250:
            return reply
        for rcpt in rcpts:
            reply = wire.cmd(f"RCPT TO:<{rcpt}>")
            if reply.code != 250:
                return reply
        reply = wire.data(data)
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def spam(subject="spam"):
    return message(subject=subject, body=f"Buy now.\n{GTUBE}", sender=SENDER, to=RCPT)


def ham(subject="hello", sender=SENDER):
    return message(subject=subject, sender=sender, to=RCPT)


def gateway(make_gateway, *settings, admin=True):
    gw = make_gateway(start=False)
    if admin:
        gw.cli("domain", "set", "sender.test", f"admin_contact={ADMIN}")
    if settings:
        gw.cli("user", "set", IP_USER, *settings)
    gw.start()
    return gw


def quarantined(gw, *filters):
    return json.loads(gw.cli("quarantine", "list", "--json", *filters).stdout)


def user_json(gw, name=IP_USER):
    return json.loads(gw.cli("user", "show", name, "--json").stdout)


def test_user_show_lists_every_setting_with_its_default(make_gateway):
    gw = gateway(make_gateway, "messages_per_hour=100", "quarantine_response=Accepted")
    shown = user_json(gw)
    keys = {d["key"] for d in shown["settings_detail"]}
    for key in ["identification_method", "identity_headers", "automatic_lock", "lock_identities",
                "lock_timeout_minutes", "max_unlocks_by_timeout", "lock_template", "block_spam",
                "quarantine_response", "connection_limits", "limit_per_minute", "limit_per_hour",
                "limit_per_day", "limit_per_week", "limit_per_month", "messages_per_hour",
                "max_recipients_per_day", "invalid_recipient_limit", "max_message_size",
                "require_from_domain", "valid_sender_required", "dkim_selector", "archive",
                "reauth_permitted", "policy_mode"]:
        assert key in keys, f"{key} missing from user show"
    detail = {d["key"]: d for d in shown["settings_detail"]}
    assert detail["messages_per_hour"]["value"] == "100"
    assert detail["messages_per_hour"]["default"] == "0"
    assert detail["quarantine_response"]["value"] == "accepted"
    assert detail["automatic_lock"]["is_default"] is True
    text = gw.cli("user", "show", IP_USER).stdout
    assert "messages_per_hour=100 messages  (default 0)" in text
    bad = gw.cli("user", "set", IP_USER, "limit_per_day=-5", check=False)
    assert bad.returncode != 0 and "limit_per_day" in bad.stderr and len(bad.stderr.splitlines()) == 1
    bad = gw.cli("user", "set", IP_USER, "identity_headers=[{\"header\":\"X\",\"regex\":\"(\"}]",
                 check=False)
    assert bad.returncode != 0 and "identity_headers" in bad.stderr


def test_gtube_is_quarantined_with_550_and_the_arf_report_reaches_the_admin(make_gateway,
                                                                            receivers):
    dest = receivers(MX1_ADDR)
    admin = receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway)
    reply = attempt(gw, SENDER, [RCPT], spam("gtube one"))
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply.line
    assert "quarantine id" in reply.line
    held = quarantined(gw)
    assert len(held) == 1
    row = held[0]
    assert row["status"] == "held" and row["check"] == "spam" and "GTUBE" in row["reasons"]
    assert row["sender"] == IP_USER and row["mail_from"] == SENDER and row["rcpt_to"] == [RCPT]
    # The ARF report (RFC 5965) goes to the domain's administrator contact.
    [report] = admin.wait_for(1, timeout=20)
    assert report.mail_from == "" and report.meta["rcpt_tos"] == [ADMIN]
    parsed = email.message_from_bytes(report.raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "feedback-report"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts][:2] == ["text/plain", "message/feedback-report"]
    fields = email.message_from_bytes(parts[1].get_payload()[0].as_bytes()
                                      if parts[1].is_multipart() else
                                      parts[1].get_content().encode()
                                      if isinstance(parts[1].get_content(), str)
                                      else parts[1].get_content().as_bytes())
    assert fields["Feedback-Type"] == "abuse"
    assert fields["Version"] == "1"
    assert fields["Source-IP"] == "127.0.0.2"
    assert fields["Original-Mail-From"].strip("<>") == SENDER
    assert fields["Original-Rcpt-To"].strip("<>") == RCPT
    assert fields["Reported-Domain"] == "sender.test"
    assert fields["User-Agent"].startswith("postwarden/")
    assert fields["Arrival-Date"]
    assert parts[2].get_content_type() in ("message/rfc822", "text/rfc822-headers")
    assert b"gtube one" in parts[2].as_bytes()
    assert IP_USER in parts[0].get_content()
    # Nothing reached the recipient; the decision is in the log.
    time.sleep(1)
    assert dest.messages() == []
    assert "event=quarantined" in gw.log_text()
    # "Why was this blocked?": the decision with its check and reasons, by message id.
    why = json.loads(gw.cli("log", "decisions", "--message", row["id"], "--json").stdout)
    assert [(d["stage"], d["check"], d["action"]) for d in why] == [("data", "spam", "quarantine")]
    assert "GTUBE" in why[0]["reasons"] and why[0]["sender"] == IP_USER


@pytest.mark.parametrize("inline_max_bytes", [0, 32768])
def test_small_and_larger_messages_are_judged_alike_on_the_event_loop_and_the_pool(
        make_gateway, receivers, inline_max_bytes):
    """[scan] inline_max_bytes (issue 17): a message up to it has its text read on the session's
    own thread, a larger one (or every one, with 0) on the worker pool; the verdicts are the
    same: GTUBE held, ordinary mail delivered, for a 1 KiB and a 40 KiB message."""
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = make_gateway({"scan": {"inline_max_bytes": inline_max_bytes}})
    filler = "Line of an ordinary quarterly report with figures and words.\n" * 640  # 40 KiB
    for n, body in enumerate(["Short note.\n", filler]):
        spam_mail = message(subject=f"gtube {n}", body=f"{body}{GTUBE}\n", sender=SENDER, to=RCPT)
        reply = attempt(gw, SENDER, [RCPT], spam_mail)
        assert reply.code == 550 and reply.enhanced == "5.7.1", (n, reply.line)
        ham_mail = message(subject=f"report {n}", body=body, sender=SENDER, to=RCPT)
        assert attempt(gw, SENDER, [RCPT], ham_mail).code == 250, n
    dest.wait_for(2, timeout=20)
    assert sorted(re.findall(r"report \d", str(m.raw)) for m in dest.messages()) == [
        ["report 0"], ["report 1"]]
    assert len(quarantined(gw)) == 2


def test_accepted_response_holds_silently_and_admin_release_delivers(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, "quarantine_response=accepted")
    reply = attempt(gw, SENDER, [RCPT], spam("held quietly"))
    assert reply.code == 250, reply.line  # the sender notices nothing
    [row] = quarantined(gw)
    assert row["response"] == "accepted" and row["status"] == "held"
    time.sleep(1)
    assert dest.messages() == []
    shown = gw.cli("quarantine", "show", row["id"]).stdout
    assert "GTUBE" in shown
    released = gw.cli("quarantine", "release", row["id"])
    assert released.returncode == 0, released.stderr
    [got] = dest.wait_for(1, timeout=20)
    assert b"held quietly" in got.raw and got.meta["rcpt_tos"] == [RCPT]
    [row] = quarantined(gw)
    assert row["status"] == "released"
    again = gw.cli("quarantine", "release", row["id"], check=False)
    assert again.returncode != 0 and len(again.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("response", ["rejected", "accepted"])
def test_the_decision_trail_records_the_reply_the_client_read(make_gateway, receivers, response):
    """Issue 15, item 13: with quarantine_response=accepted the client reads 250, and so must the
    trail and the log line; with rejected, the 550 with its quarantine id."""
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, f"quarantine_response={response}")
    reply = attempt(gw, SENDER, [RCPT], spam(f"trail {response}"))
    assert reply.code == (250 if response == "accepted" else 550), reply.line
    told = " ".join([str(reply.code), *reply.texts])
    [row] = quarantined(gw)

    def trail():
        return json.loads(gw.cli("log", "decisions", "--message", row["id"], "--json").stdout)

    assert wait_until(trail, timeout=10), "no decision recorded"
    [decision] = trail()
    assert decision["action"] == "quarantine"
    assert decision["reply"] == told, (decision["reply"], told)
    assert f'check=spam action=quarantine' in gw.log_text()
    assert f'reply="{told}"' in gw.log_text()


def test_six_gtube_messages_lock_the_user_at_the_sixth_and_mail_the_lock_template(
        make_gateway, receivers):
    receivers(MX1_ADDR)
    notices = receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, "lock_spam_threshold=5", "lock_window_minutes=10")
    for n in range(1, 7):
        reply = attempt(gw, SENDER, [RCPT], spam(f"burst {n}"))
        assert reply.code == 550 and "quarantine id" in reply.line, f"message {n}: {reply.line}"
        locked = user_json(gw).get("lock", {}).get("locked", False)
        assert locked == (n == 6), f"after message {n}: locked={locked}"
    # Locked: refused at MAIL with a text that says so, even for clean mail.
    reply = attempt(gw, SENDER, [RCPT], ham())
    assert reply.code == 550 and "locked" in reply.line and ADMIN in reply.line, reply.line
    lock = user_json(gw)["lock"]
    assert lock["locked_by"] == "automatic" and "6 spam messages" in lock["reason"]
    # The sender gets the lock template, the admin six ARF reports and a lock notice.
    def kinds():
        out = {"template": 0, "arf": 0, "admin": 0}
        for m in notices.messages():
            parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
            if parsed.get_content_type() == "multipart/report":
                out["arf"] += 1
            elif m.meta["rcpt_tos"] == [SENDER]:
                out["template"] += 1
                assert "locked" in parsed["Subject"]
                assert IP_USER in parsed.get_content()
            else:
                out["admin"] += 1
        return out
    assert wait_until(lambda: kinds() == {"template": 1, "arf": 6, "admin": 1}, 30), kinds()
    # The administrator unlocks it; clean mail passes again.
    gw.cli("user", "unlock", IP_USER)
    time.sleep(1.5)
    assert attempt(gw, SENDER, [RCPT], ham()).code == 250


def test_lock_names_the_quarantine_ids_and_the_contact_never_the_classifier_tokens(
        make_gateway, receivers):
    """F-LOCK-WHY: the lock's reason, its 550 at MAIL and the lock mail name the messages that
    caused it by the quarantine ids the client was told, and whom to ask; the classifier's
    tokens stay in the decision trail. 21 messages: the reply at MAIL needs more than one line,
    and every line stays within RFC 5321's 512 octets."""
    receivers(MX1_ADDR)
    notices = receivers(SENDER_MX_ADDR)
    gw = make_gateway({"policy": {"lock_message_ids": 25}}, start=False)
    gw.install_spam_model()  # the model's reasons name tokens: they must not leak
    gw.cli("domain", "set", "sender.test", f"admin_contact={ADMIN}")
    gw.cli("user", "set", IP_USER, "lock_spam_threshold=20", "lock_window_minutes=10")
    gw.start()
    ids = []
    for n in range(1, 22):
        reply = attempt(gw, SENDER, [RCPT], spam(f"burst {n}"))
        assert reply.code == 550 and "tokens" not in str(reply), f"message {n}: {reply}"
        assert len(reply.texts) == 1 and len(reply.raw) <= 512, reply.raw
        match = re.search(r"\(quarantine id ([0-9A-F]+)\)$", reply.line)
        assert match, reply.line
        ids.append(match.group(1))
    assert user_json(gw)["lock"]["locked"] is True

    def named(text):
        return [i for i in ids if i in text]
    reply = attempt(gw, SENDER, [RCPT], ham())
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply
    lines = reply.raw.split(b"\r\n")[:-1]
    assert len(lines) > 1 and all(len(line) + 2 <= 512 for line in lines), reply.raw
    text = " ".join(t.split(" ", 1)[1] for t in reply.texts)
    assert "is locked" in text and ADMIN in text and named(text) == ids, text
    assert "tokens" not in text and "BAYES" not in text and "probability" not in text, text
    reason = user_json(gw)["lock"]["reason"]
    assert "21 spam messages" in reason and "spam check" in reason and named(reason) == ids
    assert "tokens" not in reason, reason

    def lock_mails():
        out = {}
        for m in notices.messages():
            parsed = email.message_from_bytes(m.raw, policy=email.policy.default)
            if parsed.get_content_type() != "multipart/report":
                out[m.meta["rcpt_tos"][0]] = parsed.get_content()
        return out
    assert wait_until(lambda: len(lock_mails()) == 2, 30), lock_mails()
    for to, body in lock_mails().items():
        assert named(body) == ids, f"lock mail to {to} lacks ids:\n{body}"
        assert "tokens" not in body and "BAYES" not in body, f"lock mail to {to}:\n{body}"
    assert ADMIN in lock_mails()[SENDER], lock_mails()[SENDER]
    # The full reasons, tokens included, stay in the decision trail.
    why = json.loads(gw.cli("log", "decisions", "--message", ids[0], "--json").stdout)
    assert [d["check"] for d in why] == ["spam"] and "tokens" in why[0]["reasons"], why


def test_lock_lifts_after_the_timeout_then_stays_after_the_maximum_unlocks(make_gateway,
                                                                          receivers):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, "lock_spam_threshold=1", "lock_timeout_minutes=1",
                 "max_unlocks_by_timeout=1")
    for n in range(2):
        attempt(gw, SENDER, [RCPT], spam(f"first lock {n}"))
    assert attempt(gw, SENDER, [RCPT], ham()).code == 550
    lock = user_json(gw)["lock"]
    assert lock["locked"] and lock["unlock_at"] > 0
    # The lock lifts by itself after one minute.
    time.sleep(max(0.0, lock["unlock_at"] - time.time()) + 1.5)
    assert attempt(gw, SENDER, [RCPT], ham()).code == 250
    assert user_json(gw)["lock"]["automatic_unlocks"] == 1
    # The next lock has used up the automatic unlocks: only an administrator lifts it.
    for n in range(2):
        attempt(gw, SENDER, [RCPT], spam(f"second lock {n}"))
    lock = user_json(gw)["lock"]
    assert lock["locked"] and lock["unlock_at"] == 0
    reply = attempt(gw, SENDER, [RCPT], ham())
    assert reply.code == 550 and "until an administrator unlocks it" in reply.line, reply.line


def test_header_identity_with_a_regex_is_extracted_removed_and_listed(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    gw = gateway(make_gateway, "identification_method=header",
                 'identity_headers=[{"header":"X-Client-Ref","regex":"cust=(\\\\w+)",'
                 '"remove":true}]')
    data = message(subject="with identity", sender=SENDER, to=RCPT).replace(
        b"Subject:", b"X-Client-Ref: site 7; cust=acme42\r\nSubject:", 1)
    assert attempt(gw, SENDER, [RCPT], data).code == 250
    [got] = dest.wait_for(1, timeout=20)
    assert b"X-Client-Ref" not in got.raw and b"with identity" in got.raw
    identities = json.loads(gw.cli("identity", "list", "--json").stdout)
    assert [(i["user"], i["identity"]) for i in identities] == [(IP_USER, "acme42")]
    rows = gw.search("--sender", SENDER)
    assert rows and rows[0]["identity"] == "acme42"


def test_connection_limit_per_minute_gives_4xx_and_the_next_minute_passes(make_gateway,
                                                                          receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "connection_limits=on", "limit_per_minute=3")
    # Start right after a minute boundary, so the burst falls within one minute.
    wait_until(lambda: time.time() % 60 < 50, 15, interval=0.2)
    for n in range(3):
        assert attempt(gw, SENDER, [RCPT], ham(f"c{n}")).code == 250
    reply = attempt(gw, SENDER, [RCPT], ham("over"))
    assert reply.code == 450 and reply.enhanced == "4.7.1", reply.line
    assert "per minute" in reply.line
    time.sleep(60 - time.time() % 60 + 1)
    assert attempt(gw, SENDER, [RCPT], ham("next minute")).code == 250


def test_daily_recipient_limit_survives_a_restart(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "max_recipients_per_day=3")
    assert attempt(gw, SENDER, ["a@dest.test", "b@dest.test"], ham()).code == 250
    assert gw.stop() == 0
    gw.start()
    wire = gw.session(source="127.0.0.2")
    wire.expect(f"MAIL FROM:<{SENDER}>", 250)
    wire.expect("RCPT TO:<c@dest.test>", 250)
    reply = wire.cmd("RCPT TO:<d@dest.test>")
    assert reply.code == 452 and reply.enhanced == "4.5.3" and "3 of 3" in reply.line, reply.line
    wire.close()
    counters = user_json(gw)["counters_24h"]
    assert counters["recipients"] == 2


def test_outgoing_limit_per_hour(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "messages_per_hour=2")
    assert attempt(gw, SENDER, [RCPT], ham("1")).code == 250
    assert attempt(gw, SENDER, [RCPT], ham("2")).code == 250
    reply = attempt(gw, SENDER, [RCPT], ham("3"))
    assert reply.code == 450 and "2 messages in the last hour" in reply.line, reply.line
    # The decision trail shows what the check measured, as the check measured it.
    why = json.loads(gw.cli("log", "decisions", "--check", "message_rate", "--json").stdout)
    reasons = [r for d in why for r in d["measured"]]
    assert [(r["rule"], r["counter"], r["limit"]) for r in reasons] == [
        ("messages_per_hour", 2, 2)], why


def test_require_from_domain_checks_envelope_and_header(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "require_from_domain=sender.test", "reauth_permitted=on")
    reply = attempt(gw, "mallory@other.test", [RCPT], ham(sender="mallory@other.test"))
    assert reply.code == 550 and "not of domain sender.test" in reply.line, reply.line
    spoofed = ham(sender="ceo@bank.test")
    reply = attempt(gw, SENDER, [RCPT], spoofed)
    assert reply.code == 550 and "Header From" in reply.line, reply.line
    assert attempt(gw, "bob@mail.sender.test", [RCPT], ham(sender=SENDER)).code == 250


def test_valid_sender_required_needs_a_domain_that_resolves(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "valid_sender_required=on", "reauth_permitted=on")
    reply = attempt(gw, "x@nowhere.test", [RCPT], ham(sender="x@nowhere.test"))
    assert reply.code == 550 and reply.enhanced == "5.1.8", reply.line
    assert attempt(gw, SENDER, [RCPT], ham()).code == 250  # sender.test has an MX
    reply = attempt(gw, SENDER, [RCPT], ham(sender="x@nowhere.test"))
    assert reply.code == 550 and "Header From" in reply.line, reply.line


def test_maximum_size_per_user(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "max_message_size=2000")
    wire = gw.session(source="127.0.0.2")
    reply = wire.cmd(f"MAIL FROM:<{SENDER}> SIZE=5000")
    assert reply.code == 552 and reply.enhanced == "5.3.4", reply.line
    wire.close()
    big = message(subject="big", body="x" * 3000, sender=SENDER, to=RCPT)
    reply = attempt(gw, SENDER, [RCPT], big)
    assert reply.code == 552 and "limit of 2000" in reply.line, reply.line
    assert attempt(gw, SENDER, [RCPT], ham()).code == 250


def test_ip_user_sends_for_other_domains_only_with_reauth_permitted(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway)
    reply = attempt(gw, "carol@other.test", [RCPT], ham(sender="carol@other.test"))
    assert reply.code == 550 and "re-authenticate" in reply.line, reply.line
    gw.cli("domain", "set", "sender.test", "--alias", "alias-sender.test")
    time.sleep(1.5)
    assert attempt(gw, "dan@alias-sender.test", [RCPT],
                   ham(sender="dan@alias-sender.test")).code == 250
    gw.cli("user", "set", IP_USER, "reauth_permitted=on")
    time.sleep(1.5)
    assert attempt(gw, "carol@other.test", [RCPT], ham(sender="carol@other.test")).code == 250
    bad = gw.cli("user", "add", "--user", "u@sender.test", "--password-stdin",
                 stdin="a long enough password\n")
    assert bad.returncode == 0
    refused = gw.cli("user", "set", "u@sender.test", "reauth_permitted=on", check=False)
    assert refused.returncode != 0 and "IP users" in refused.stderr


def test_invalid_recipients_restrict_the_user(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "invalid_recipient_limit=2")
    wire = gw.session(source="127.0.0.2")
    wire.expect(f"MAIL FROM:<{SENDER}>", 250)
    for bad in ["<no-at-sign>", "<two@@dest.test>"]:
        assert wire.cmd(f"RCPT TO:{bad}").code in (501, 553)
    reply = wire.cmd(f"RCPT TO:<{RCPT}>")
    assert reply.code == 550 and "invalid recipients" in reply.line, reply.line
    wire.close()
    reply = attempt(gw, SENDER, [RCPT], ham())
    assert reply.code == 550 and "restricted" in reply.line, reply.line


def test_monitor_mode_logs_what_it_would_block_and_lets_it_through(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, "policy_mode=monitor", "messages_per_hour=1")
    assert attempt(gw, SENDER, [RCPT], spam("monitored")).code == 250
    assert attempt(gw, SENDER, [RCPT], ham("over the limit")).code == 250
    dest.wait_for(2, timeout=20)
    assert quarantined(gw) == []
    log = gw.log_text()
    assert "action=would_quarantine" in log and "action=would_tempfail" in log


def test_archive_keeps_each_outgoing_message_of_the_user(make_gateway, receivers, tmp_path):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, "archive=on")
    assert attempt(gw, SENDER, [RCPT], ham("archived one")).code == 250
    assert attempt(gw, SENDER, [RCPT], ham("archived two")).code == 250
    rows = json.loads(gw.cli("archive", "search", "--domain", "sender.test", "--json").stdout)
    assert sorted(r["subject"] for r in rows) == ["archived one", "archived two"]
    out = tmp_path / "export.mbox"
    gw.cli("archive", "export", "--domain", "sender.test", "--out", str(out))
    box = mailbox.mbox(str(out))
    assert sorted(m["Subject"] for m in box) == ["archived one", "archived two"]


def with_attachment(name: str, content: bytes, subject: str) -> bytes:
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = RCPT
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}.{time.monotonic_ns()}@e2e.test>"
    msg.set_content("See the attachment.")
    msg.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=email.policy.SMTP)


def docm() -> bytes:
    """A Word document with a VBA project, as Office writes it (OOXML: word/vbaProject.bin)."""
    import io
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0" + b"\0" * 512)
    return out.getvalue()


def pe_executable() -> bytes:
    """A minimal Windows PE file: DOS header pointing at a PE header for i386."""
    import struct
    dos = bytearray(b"MZ" + b"\x90\x00" + b"\0" * 56)
    dos[0x3C:0x40] = struct.pack("<I", 64)
    pe = b"PE\0\0" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x0102) + b"\0" * 0xE0
    return bytes(dos) + pe + b"\0" * 256


def test_macros_and_unwanted_attachments_are_rejected_when_blocked(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    gw = gateway(make_gateway)
    # Off by default: both pass.
    assert attempt(gw, SENDER, [RCPT], with_attachment("report.docm", docm(), "macro off")).code == 250
    gw.cli("user", "set", IP_USER, "block_macros=on", "block_pua=on")
    time.sleep(1.5)
    reply = attempt(gw, SENDER, [RCPT], with_attachment("report.docm", docm(), "macro on"))
    assert reply.code == 550 and "macros" in reply.line and "vbaProject.bin" in reply.line, \
        reply.line
    reply = attempt(gw, SENDER, [RCPT], with_attachment("invoice.pdf.exe", b"MZ" + b"\0" * 200,
                                                        "pua"))
    assert reply.code == 550 and "invoice.pdf.exe" in reply.line, reply.line
    # An executable renamed .pdf is judged by its content, not its name.
    reply = attempt(gw, SENDER, [RCPT], with_attachment("statement.pdf", pe_executable(),
                                                        "exe renamed pdf"))
    assert reply.code == 550 and "statement.pdf" in reply.line, reply.line
    assert "executable" in reply.line, reply.line
    decisions = json.loads(gw.cli("log", "decisions", "--check", "attachments", "--json").stdout)
    reasons = " ".join(json.dumps(d) for d in decisions)
    assert "block_macros" in reasons and "block_pua" in reasons and "statement.pdf" in reasons
    clean = with_attachment("notes.txt", b"just text\n", "clean attachment")
    assert attempt(gw, SENDER, [RCPT], clean).code == 250
    got = dest.wait_for(2, timeout=20)
    subjects = [email.message_from_bytes(m.raw)["Subject"] for m in got]
    assert sorted(subjects) == ["clean attachment", "macro off"]


def test_identity_is_locked_on_its_own_and_unlocked_from_the_cli(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, "identification_method=header", 'identity_headers=["X-Customer"]',
                 "automatic_lock=off", "lock_identities=on", "lock_spam_threshold=1")

    def from_customer(customer, data):
        return data.replace(b"Subject:", f"X-Customer: {customer}\r\nSubject:".encode(), 1)
    for n in range(2):
        reply = attempt(gw, SENDER, [RCPT], from_customer("c-17", spam(f"c17 spam {n}")))
        assert reply.code == 550 and "quarantine id" in reply.line, reply.line
    # The identity is locked at the end of DATA; the user and its other identities are not.
    reply = attempt(gw, SENDER, [RCPT], from_customer("c-17", ham("c17 clean")))
    assert reply.code == 550 and "identity c-17 is locked" in reply.line, reply.line
    assert attempt(gw, SENDER, [RCPT], from_customer("c-99", ham("c99 clean"))).code == 250
    assert user_json(gw)["lock"]["locked"] is False
    listed = {i["identity"]: i for i in json.loads(gw.cli("identity", "list", "--json").stdout)}
    assert listed["c-17"]["locked"] is True and "spam" in listed["c-17"]["reason"]
    assert listed["c-99"]["locked"] is False
    gw.cli("identity", "unlock", "--user", IP_USER, "c-17")
    time.sleep(1.5)
    assert attempt(gw, SENDER, [RCPT], from_customer("c-17", ham("c17 again"))).code == 250
    dest.wait_for(2, timeout=20)

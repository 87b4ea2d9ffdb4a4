"""The submission server completes the header (RFC 6409 8.2 Date, 8.3 Message-ID, as Postfix's
cleanup does): smtplib sends through a running gateway to a receiving MX; a message without
Date and Message-ID arrives with exactly one of each (Message-ID <queue-id@gateway>), a message
with both arrives with those two unchanged, and the log and the decision trail say what was
added without counting the message as blocked. DKIM over the added fields: test_dkim_signing.py.
"""
from __future__ import annotations

import email.utils
import json
import re
import smtplib
import time

from delivery_fixtures import (GATEWAY_HOSTNAME, MX1_ADDR, SENDER, make_gateway, mx_port,
                               receivers, dns)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

RCPT = "bob@dest.test"
REASON = "added Date, Message-ID (RFC 6409 8.2, 8.3)"


def bare(subject: str, extra: list[str] = ()) -> bytes:
    lines = [f"From: <{SENDER}>", f"To: <{RCPT}>", f"Subject: {subject}", *extra, "",
             "Date: a body line that looks like a field", "Message-ID: <neither@is.this>"]
    return ("\r\n".join(lines) + "\r\n").encode()


def smtplib_send(gw, message: bytes) -> str:
    """One message with smtplib from the IP sender 127.0.0.2; returns the queue id."""
    with smtplib.SMTP("127.0.0.1", gw.port, source_address=("127.0.0.2", 0), timeout=20) as c:
        c.ehlo("client.e2e.test")
        c.mail(SENDER)
        code, _ = c.rcpt(RCPT)
        assert code == 250
        code, text = c.data(message)
        assert code == 250, text
    match = re.search(rb"queued as ([0-9A-F]+)", text)
    assert match, text
    return match.group(1).decode()


def header_section(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def fields(raw: bytes, name: str) -> list[str]:
    """Every value of the field `name` in the header section, unfolded."""
    unfolded = re.sub(rb"\r\n[ \t]", b" ", header_section(raw)).decode()
    return [line.split(":", 1)[1].strip() for line in unfolded.split("\r\n")
            if line.split(":", 1)[0].strip().lower() == name.lower() and ":" in line]


def delivered(mx, subject: str, count: int):
    for m in mx.wait_for(count, timeout=30):
        if fields(m.raw, "Subject") == [subject]:
            return m
    raise AssertionError(f"no message {subject!r} at the MX")


def test_date_and_message_id_are_added_once_logged_and_in_the_trail(make_gateway, receivers):
    mx = receivers(MX1_ADDR)
    gw = make_gateway()
    sent = bare("no date no id")
    before = time.time()
    queue_id = smtplib_send(gw, sent)

    got = delivered(mx, "no date no id", 1)
    assert fields(got.raw, "Message-ID") == [f"<{queue_id}@{GATEWAY_HOSTNAME}>"], got.raw
    [date] = fields(got.raw, "Date")
    assert abs(email.utils.parsedate_to_datetime(date).timestamp() - before) < 60, date
    # At the end of the client's header section; the body is untouched.
    head, body = sent.split(b"\r\n\r\n", 1)
    assert got.raw.endswith(
        head + f"\r\nDate: {date}\r\nMessage-ID: <{queue_id}@{GATEWAY_HOSTNAME}>\r\n\r\n".encode()
        + body), got.raw

    log = gw.log_text()
    assert re.search(rf'event=headers_added id={queue_id} .*added="Date,Message-ID"', log), log
    why = json.loads(gw.cli("log", "decisions", "--message", queue_id, "--json").stdout)
    assert [(d["check"], d["action"], d["reasons"]) for d in why] == [
        ("submission_headers", "pass", f"submission_headers: {REASON}")], why
    # Passed, not blocked: delivered in the log, in no refused or held list, nothing counted.
    gw.wait_status(queue_id, "delivered")
    assert [r["id"] for r in gw.search("--status", "delivered")] == [queue_id]
    assert gw.search("--status", "rejected") == [] and gw.search("--status", "quarantined") == []


def test_a_message_with_both_keeps_them_and_a_missing_one_is_added_alone(make_gateway, receivers):
    mx = receivers(MX1_ADDR)
    gw = make_gateway()
    date = "Wed, 25 Nov 2026 09:00:00 +0100"
    complete = bare("complete", [f"date: {date}", "message-id: <own.1@client.example>"])
    complete_id = smtplib_send(gw, complete)
    only_id = bare("only id", ["Message-ID: <own.2@client.example>"])
    only_id_queue_id = smtplib_send(gw, only_id)

    got = delivered(mx, "complete", 2)
    assert got.raw.endswith(complete), got.raw
    assert fields(got.raw, "Date") == [date] and fields(got.raw, "Message-ID") == [
        "<own.1@client.example>"], got.raw
    got = delivered(mx, "only id", 2)
    assert fields(got.raw, "Message-ID") == ["<own.2@client.example>"], got.raw
    assert len(fields(got.raw, "Date")) == 1, got.raw

    log = gw.log_text()
    assert f"event=headers_added id={complete_id}" not in log
    assert re.search(rf'event=headers_added id={only_id_queue_id} .*added="Date"', log), log
    assert json.loads(gw.cli("log", "decisions", "--message", complete_id, "--json").stdout) == []
    why = json.loads(gw.cli("log", "decisions", "--message", only_id_queue_id, "--json").stdout)
    assert [d["reasons"] for d in why] == [
        "submission_headers: added Date (RFC 6409 8.2, 8.3)"], why

"""Delivery to the MX hosts that a real DNS server (dnsmasq) names: the message arrives byte for
byte with our Received header, MX preference is honoured with a fall-back to the backup MX,
equal preferences are shared, a domain with only an A record is its own MX, null MX and NXDOMAIN
are permanent failures (bounce + DSN), and a DNS server that fails is a temporary one.
"""
import re
import socket

import pytest

from conftest import wait_until
from delivery_fixtures import (EQUAL_A_ADDR, EQUAL_B_ADDR, GATEWAY_HOSTNAME, IMPLICIT_ADDR,
                               MX1_ADDR, MX2_ADDR, SENDER, SENDER_MX_ADDR, dns, make_gateway,
                               message_with, mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name


def received_header_only(prefix: bytes, queue_id: str, rcpt: str) -> None:
    """`prefix` (what the gateway put before the message) is exactly one Received: field."""
    text = prefix.decode("ascii")
    assert text.startswith("Received: "), f"no Received: header first: {text!r}"
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert all(line[:1] in (" ", "\t") for line in lines[1:]), (
        f"more than one header field was added: {text!r}")
    assert f"by {GATEWAY_HOSTNAME} " in text, text
    assert f"id {queue_id}" in text, text
    assert f"for <{rcpt}>" in text, text


def test_delivers_to_the_mx_from_dns_byte_for_byte(make_gateway, receivers, mx_port):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "accept", "--tls")
    body = [".a line that starts with a dot", "..and one with two", "",
            "x" * 990, "tab\there", "last line"]
    sent = message_with("exact bytes", body)
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)

    got = mx1.wait_for(1)[0]
    assert got.raw.endswith(sent), f"the message arrived changed:\n{got.raw[-700:]!r}"
    received_header_only(got.raw[: len(got.raw) - len(sent)], queue_id, "bob@dest.test")
    assert got.mail_from == SENDER
    assert got.meta["rcpt_tos"] == ["bob@dest.test"]
    assert got.meta["helo"] == GATEWAY_HOSTNAME
    assert got.meta["tls"] in ("TLSv1.2", "TLSv1.3"), "STARTTLS was offered but not used"
    assert got.meta["pipelined"], "PIPELINING was offered but the client waited for each reply"

    shown = gateway.wait_status(queue_id, "delivered")
    (rcpt,) = shown["recipients"]
    assert rcpt["status"] == "delivered"
    assert rcpt["attempts"] == 1
    assert rcpt["remote_host"] == f"mx1.dest.test[{MX1_ADDR}]:{mx_port}"
    assert rcpt["last_reply"].startswith("250 ")
    events = [e["event"] for e in gateway.wait_event(queue_id, "completed")["events"]]
    assert events[0] == "received" and "delivered" in events and events[-1] == "completed"
    assert gateway.spool_empty(), f"spool file kept after delivery: {gateway.spool_ids()}"

    rows = gateway.search("--recipient", "bob@dest.test")
    assert [r["id"] for r in rows] == [queue_id]
    assert rows[0]["status"] == "delivered"
    assert rows[0]["recipients"][0]["remote_host"].startswith("mx1.dest.test[127.0.0.11]")
    assert rows[0]["subject"] == "exact bytes"
    assert rows[0]["message_id"].startswith("<exact-bytes.")


def test_plain_receiver_without_starttls_gets_the_message_in_clear(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "accept", "--no-pipelining")
    sent = message_with("no tls here")
    gateway.send(SENDER, ["bob@dest.test"], sent)
    got = mx1.wait_for(1)[0]
    assert got.raw.endswith(sent)
    assert got.meta["tls"] is None
    assert not got.meta["pipelined"], "pipelined commands to a server without PIPELINING"


def test_lowest_preference_mx_gets_the_mail(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR)
    mx2 = receivers(MX2_ADDR)
    ids = [gateway.send(SENDER, [f"rcpt{n}@dest.test"], message_with(f"preference {n}"))
           for n in range(3)]
    for queue_id in ids:
        gateway.wait_status(queue_id, "delivered")
    assert len(mx1.messages()) == 3
    assert mx2.messages() == [], "the backup MX got mail while the primary accepted it"


def test_backup_mx_takes_the_mail_when_the_primary_refuses_connections(
        make_gateway, receivers, mx_port):
    gateway = make_gateway()
    mx2 = receivers(MX2_ADDR)  # nothing listens on mx1 (127.0.0.11): connection refused
    sent = message_with("to the backup")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    got = mx2.wait_for(1)[0]
    assert got.raw.endswith(sent)
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["recipients"][0]["remote_host"] == f"mx2.dest.test[{MX2_ADDR}]:{mx_port}"
    assert shown["recipients"][0]["attempts"] == 1, "the fall-back must be within one attempt"


def test_backup_mx_takes_the_mail_when_the_primary_refuses_service(make_gateway, receivers):
    # A 554 greeting means "no SMTP service here" (RFC 5321 3.1): try the next MX.
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "reject-greeting")
    mx2 = receivers(MX2_ADDR)
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("primary says 554"))
    mx2.wait_for(1)
    assert mx1.messages() == []
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["recipients"][0]["remote_host"].startswith("mx2.dest.test")


def test_domain_without_mx_is_delivered_to_its_address(make_gateway, receivers, mx_port):
    gateway = make_gateway()
    host = receivers(IMPLICIT_ADDR)
    sent = message_with("implicit mx", to="carol@implicit.test")
    queue_id = gateway.send(SENDER, ["carol@implicit.test"], sent)
    assert host.wait_for(1)[0].raw.endswith(sent)
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["recipients"][0]["remote_host"] == f"implicit.test[{IMPLICIT_ADDR}]:{mx_port}"


def test_equal_preference_mx_hosts_share_the_mail(make_gateway, receivers):
    # Each message is routed afresh (no connection kept): equal preferences are shuffled, so
    # both hosts get some of 16 messages (all to one host: probability 2^-15).
    gateway = make_gateway({"delivery": {"connection_reuse_s": 0}})
    a = receivers(EQUAL_A_ADDR)
    b = receivers(EQUAL_B_ADDR)
    for n in range(16):
        queue_id = gateway.send(SENDER, [f"r{n}@equal.test"], message_with(f"equal {n}"))
        gateway.wait_status(queue_id, "delivered")
    counts = (len(a.messages()), len(b.messages()))
    assert sum(counts) == 16
    assert min(counts) > 0, f"equal-preference MX hosts not shuffled: {counts}"


def dsn_status_lines(dsn_raw: bytes) -> dict[str, str]:
    """Final-Recipient -> Status of a DSN's message/delivery-status part (plain text scan)."""
    text = dsn_raw.decode("utf-8", "replace")
    out = {}
    for block in re.split(r"\r?\n\r?\n", text):
        rcpt = re.search(r"^Final-Recipient:\s*rfc822;\s*(\S+)", block, re.M | re.I)
        status = re.search(r"^Status:\s*(\S+)", block, re.M | re.I)
        if rcpt and status:
            out[rcpt.group(1)] = status.group(1)
    return out


def test_null_mx_and_nxdomain_bounce_at_once_with_a_dsn(make_gateway, receivers):
    gateway = make_gateway()
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["x@nullmx.test", "y@nowhere.test"],
                            message_with("undeliverable domains"))
    shown = gateway.wait_status(queue_id, "bounced", timeout=10)
    by_rcpt = {r["rcpt"]: r for r in shown["recipients"]}
    assert by_rcpt["x@nullmx.test"]["status"] == "bounced"
    assert "null MX" in by_rcpt["x@nullmx.test"]["last_reply"]
    assert by_rcpt["y@nowhere.test"]["status"] == "bounced"
    assert "NXDOMAIN" in by_rcpt["y@nowhere.test"]["last_reply"] or \
        "does not exist" in by_rcpt["y@nowhere.test"]["last_reply"]
    for r in by_rcpt.values():
        assert r["attempts"] == 1, "a permanent DNS answer must not be retried"
        assert r["remote_host"] == ""

    dsn = sender_mx.wait_for(1)[0]
    assert dsn.mail_from == ""
    assert dsn.meta["rcpt_tos"] == [SENDER]
    statuses = dsn_status_lines(dsn.raw)
    assert set(statuses) == {"x@nullmx.test", "y@nowhere.test"}, statuses
    assert all(s.startswith("5.") for s in statuses.values()), statuses
    assert "dsn_sent" in gateway.events(queue_id)


def test_null_mx_bounce_uses_the_rfc7505_status_code(make_gateway, receivers):
    # RFC 7505 section 4.2 and its IANA registration: an undeliverable null-MX domain is
    # reported with the enhanced status code 5.1.10 ("Recipient address has null MX").
    gateway = make_gateway()
    sender_mx = receivers(SENDER_MX_ADDR)
    gateway.send(SENDER, ["x@nullmx.test"], message_with("null mx status code"))
    dsn = sender_mx.wait_for(1)[0]
    assert dsn_status_lines(dsn.raw) == {"x@nullmx.test": "5.1.10"}, (
        "null MX reported with a generic status:\n" + dsn.raw.decode(errors="replace"))


@pytest.fixture
def silent_dns():
    """A UDP port that takes queries and never answers (a DNS server that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{s.getsockname()[1]}"


def test_dns_timeout_is_a_deferral_not_a_bounce(make_gateway, receivers, silent_dns):
    gateway = make_gateway({"delivery": {"dns_servers": [silent_dns], "dns_timeout_ms": 200,
                                         "retry_min_s": 1, "retry_max_s": 1}})
    sender_mx = receivers(SENDER_MX_ADDR)
    mx1 = receivers(MX1_ADDR)
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("dns is down"))
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=2, timeout=30)
    rcpt = shown["recipients"][0]
    assert "DNS" in rcpt["last_reply"] or "dns" in rcpt["last_reply"], rcpt
    assert rcpt["next_attempt_at"] > 0
    assert shown["status"] == "deferred"
    assert gateway.spool_count() == 1
    assert sender_mx.messages() == [] and mx1.messages() == []
    assert [r["id"] for r in gateway.queue_list()] == [queue_id]


def test_dns_refusal_is_a_deferral_not_a_bounce(make_gateway, receivers):
    # dnsmasq answers REFUSED for names outside its zone (no upstream): a server failure.
    gateway = make_gateway()
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["bob@example.net"], message_with("refused by dns"))
    shown = gateway.wait_rcpt(queue_id, "bob@example.net", "deferred", min_attempts=1)
    assert shown["status"] == "deferred"
    assert wait_until(lambda: gateway.show(queue_id)["recipients"][0]["attempts"] >= 2, 10)
    assert gateway.show(queue_id)["status"] == "deferred"
    assert sender_mx.messages() == []

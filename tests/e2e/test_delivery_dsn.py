"""Bounces, expiry and delivery status notifications (RFC 3464): a permanent failure produces one
DSN from the null sender to the original envelope sender, delivered through the queue to the
sender domain's MX, and readable by Python's `email` parser as a delivery report; a message from
the null sender (a bounce, or our own DSN) never gets one.
"""
import re
import time

from conftest import wait_until
from delivery_fixtures import (GATEWAY_HOSTNAME, MX1_ADDR, SENDER, SENDER_MX_ADDR, dns,
                               make_gateway, message_with, mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

STATUS = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def report_parts(dsn):
    """Checks the RFC 3464 / RFC 6522 structure; returns (per-message fields,
    [per-recipient fields], returned headers as text)."""
    message = dsn.parsed()
    assert message.get_content_type() == "multipart/report", message["Content-Type"]
    assert message.get_param("report-type") == "delivery-status"
    parts = message.get_payload()
    assert isinstance(parts, list) and len(parts) == 3, [p.get_content_type() for p in parts]
    human, status, returned = parts
    assert human.get_content_type() == "text/plain"
    assert status.get_content_type() == "message/delivery-status"
    assert returned.get_content_type() in ("text/rfc822-headers", "message/rfc822")
    # The email package parses message/delivery-status into header blocks: the per-message
    # fields, then one block per recipient.
    blocks = status.get_payload()
    assert isinstance(blocks, list) and len(blocks) >= 2, blocks
    per_message, per_recipient = blocks[0], blocks[1:]
    assert per_message["Reporting-MTA"] == f"dns; {GATEWAY_HOSTNAME}"
    for block in per_recipient:
        assert block["Final-Recipient"], "a recipient block without Final-Recipient"
        assert block["Action"], "a recipient block without Action"
        assert STATUS.match(block["Status"] or ""), f"bad Status {block['Status']!r}"
    returned_text = returned.get_payload(decode=True)
    if isinstance(returned_text, bytes):
        returned_text = returned_text.decode("utf-8", "replace")
    return per_message, per_recipient, str(returned_text)


def by_recipient(blocks):
    return {b["Final-Recipient"].split(";", 1)[1].strip(): b for b in blocks}


def test_bounce_returns_a_valid_rfc3464_report_to_the_sender_domain_mx(
        make_gateway, receivers, mx_port):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "reject-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR)
    original = message_with("please bounce me")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], original)

    shown = gateway.wait_status(queue_id, "bounced")
    (rcpt,) = shown["recipients"]
    assert rcpt["last_reply"].startswith("550 5.1.1")
    assert rcpt["remote_host"] == f"mx1.dest.test[{MX1_ADDR}]:{mx_port}"
    assert mx1.messages() == []

    dsn = sender_mx.wait_for(1)[0]
    assert dsn.mail_from == "", "a DSN must come from the null sender <>"
    assert dsn.meta["rcpt_tos"] == [SENDER]
    message = dsn.parsed()
    assert [a.addr_spec for a in message["To"].addresses] == [SENDER]
    assert message["From"].addresses[0].username == "MAILER-DAEMON"
    assert message["Auto-Submitted"] == "auto-replied"
    assert message["Message-ID"] and message["Date"]

    per_message, per_recipient, returned = report_parts(dsn)
    assert per_message["Arrival-Date"]
    (block,) = per_recipient
    assert block["Final-Recipient"] == "rfc822; bob@dest.test"
    assert block["Action"] == "failed"
    assert block["Status"] == "5.1.1"
    assert block["Diagnostic-Code"].startswith("smtp; 550 5.1.1")
    assert block["Remote-MTA"] and "mx1.dest.test" in block["Remote-MTA"]
    # The headers of the original come back (not its body).
    assert "Subject: please bounce me" in returned
    assert "Hello from the delivery tests." not in returned

    # The log: the original bounced with a dsn_sent event; the DSN is a message of its own,
    # a bounce, delivered to the sender domain's MX.
    events = [e["event"] for e in gateway.wait_event(queue_id, "completed")["events"]]
    assert "bounced" in events and "dsn_sent" in events
    dsns = [r for r in gateway.search("--recipient", SENDER) if r["is_bounce"]]
    assert len(dsns) == 1, dsns
    assert dsns[0]["mail_from"] == ""
    shown_dsn = gateway.wait_status(dsns[0]["id"], "delivered")
    assert shown_dsn["recipients"][0]["remote_host"].startswith(f"mx.sender.test[{SENDER_MX_ADDR}]")
    assert gateway.spool_empty()


def test_only_the_failed_recipients_are_reported(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR)  # rejects local parts starting with "reject"
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["ok@dest.test", "reject-me@dest.test", "ok2@dest.test"],
                            message_with("two good one bad"))
    delivered = mx1.wait_for(1)[0]
    assert delivered.meta["rcpt_tos"] == ["ok@dest.test", "ok2@dest.test"]
    shown = gateway.wait_status(queue_id, "bounced")
    statuses = {r["rcpt"]: r["status"] for r in shown["recipients"]}
    assert statuses == {"ok@dest.test": "delivered", "reject-me@dest.test": "bounced",
                        "ok2@dest.test": "delivered"}
    dsn = sender_mx.wait_for(1)[0]
    _, per_recipient, _ = report_parts(dsn)
    assert list(by_recipient(per_recipient)) == ["reject-me@dest.test"]
    time.sleep(1)
    assert len(mx1.messages()) == 1, "the delivered recipients got the message twice"


def test_rejection_after_data_bounces_every_recipient_of_the_transaction(make_gateway, receivers):
    gateway = make_gateway()
    receivers(MX1_ADDR, "reject-data")
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["a@dest.test", "b@dest.test"], message_with("554 at data"))
    shown = gateway.wait_status(queue_id, "bounced")
    for r in shown["recipients"]:
        assert r["status"] == "bounced" and r["last_reply"].startswith("554 5.6.0"), r
    _, per_recipient, _ = report_parts(sender_mx.wait_for(1)[0])
    blocks = by_recipient(per_recipient)
    assert set(blocks) == {"a@dest.test", "b@dest.test"}
    assert all(b["Status"] == "5.6.0" for b in blocks.values())


def test_no_dsn_for_a_message_from_the_null_sender(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "reject-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send("", ["bob@dest.test"], message_with("a bounce that bounces"))
    gateway.wait_status(queue_id, "bounced")
    gateway.wait_event(queue_id, "completed")
    time.sleep(1.5)  # a DSN, if one were made, would be on its way by now
    assert "dsn_sent" not in gateway.events(queue_id)
    assert sender_mx.messages() == [] and mx1.messages() == []
    assert [r["id"] for r in gateway.search()] == [queue_id], "a DSN was queued for <>"
    assert gateway.queue_list() == []
    assert gateway.spool_empty()


def test_a_dsn_that_bounces_is_not_answered_with_another(make_gateway, receivers):
    gateway = make_gateway()
    receivers(MX1_ADDR, "reject-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR, "reject-rcpt")  # the sender's MX refuses the DSN
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("bounce loop"))
    gateway.wait_event(queue_id, "dsn_sent")

    def dsn_rows():
        return [r for r in gateway.search() if r["is_bounce"]]
    assert wait_until(lambda: [r for r in dsn_rows() if r["status"] == "bounced"], 15), (
        f"the DSN did not bounce: {dsn_rows()}")
    time.sleep(1.5)
    rows = gateway.search()
    assert len(rows) == 2, f"a DSN for a DSN: {[(r['id'], r['mail_from'], r['status']) for r in rows]}"
    (dsn_row,) = dsn_rows()
    assert "dsn_sent" not in gateway.events(dsn_row["id"])
    assert sender_mx.messages() == []
    assert gateway.queue_list() == []
    assert gateway.spool_empty()


def test_message_deferred_past_its_lifetime_expires_with_a_4_4_7_dsn(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"max_queue_lifetime_s": 2, "retry_min_s": 1,
                                         "retry_max_s": 1}})
    receivers(MX1_ADDR, "tempfail-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR)
    started = time.monotonic()
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("too late"))
    shown = gateway.wait_status(queue_id, "expired", timeout=20)
    elapsed = time.monotonic() - started
    (rcpt,) = shown["recipients"]
    assert rcpt["status"] == "expired"
    assert rcpt["attempts"] >= 2
    assert "451" in rcpt["last_reply"], "the last error belongs in the expiry reason"
    assert 1.5 <= elapsed <= 15, f"expired after {elapsed:.1f} s with a 2 s lifetime"

    dsn = sender_mx.wait_for(1)[0]
    assert dsn.mail_from == ""
    _, per_recipient, returned = report_parts(dsn)
    (block,) = per_recipient
    assert block["Final-Recipient"] == "rfc822; bob@dest.test"
    assert block["Action"] == "failed"
    assert block["Status"] == "4.4.7"
    assert block["Diagnostic-Code"]
    assert "Subject: too late" in returned
    events = [e["event"] for e in gateway.wait_event(queue_id, "completed")["events"]]
    assert "deferred" in events and "expired" in events and "dsn_sent" in events
    assert gateway.search("--status", "expired")[0]["id"] == queue_id

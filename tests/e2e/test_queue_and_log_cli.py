"""The admin's view of delivery (F-QUEUE, F-LOG, F-ALIAS): `queue list|show|flush|delete` while
`serve` runs and while it does not, and `log search` with each filter, alone and combined, on
real traffic (delivered, bounced with a DSN, deferred); alias domains are searched and logged
under their main domain.
"""
import calendar
import json
import time

import pytest

from conftest import wait_until
from delivery_fixtures import (MX1_ADDR, SENDER, SENDER_MX_ADDR, dns, make_gateway, message_with,
                               mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

PASSWORD = "correct horse battery"

MESSAGE_KEYS = {"id", "received_at", "client_ip", "helo", "tls", "auth_user", "sender_kind",
                "sender", "user_domain", "mail_from", "sender_domain", "size", "message_id",
                "subject", "status", "is_bounce", "updated_at", "recipients", "identity"}
RECIPIENT_KEYS = {"rcpt", "rcpt_domain", "status", "attempts", "next_attempt_at", "last_reply",
                  "remote_host", "updated_at"}
EVENT_KEYS = {"at", "rcpt", "event", "remote", "detail"}


def test_queue_list_show_and_delete_while_serving(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["bob@dest.test", "carol@dest.test"],
                            message_with("held in the queue"))
    gateway.wait_rcpt(queue_id, "carol@dest.test", "deferred", min_attempts=1)
    gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1)

    (listed,) = gateway.queue_list()
    assert set(listed) == MESSAGE_KEYS
    assert listed["id"] == queue_id and listed["status"] == "deferred"
    assert listed["mail_from"] == SENDER and listed["subject"] == "held in the queue"
    for r in listed["recipients"]:
        assert set(r) == RECIPIENT_KEYS
        assert r["status"] == "deferred" and r["attempts"] >= 1
        assert r["next_attempt_at"] > 0 and r["last_reply"].startswith("451 ")
    text = gateway.cli("queue", "list").stdout
    assert queue_id in text and "bob@dest.test" in text and "carol@dest.test" in text
    assert "1 message(s) queued" in text

    shown = gateway.show(queue_id)
    assert set(shown) == MESSAGE_KEYS | {"events"}
    assert all(set(e) == EVENT_KEYS for e in shown["events"])
    assert shown["events"][0]["event"] == "received"
    assert shown["events"][0]["remote"] == "127.0.0.2"
    assert {(e["event"], e["rcpt"]) for e in shown["events"]} >= {
        ("deferred", "bob@dest.test"), ("deferred", "carol@dest.test")}
    text = gateway.cli("queue", "show", queue_id).stdout
    assert queue_id in text and "history:" in text and "deferred" in text

    result = gateway.cli("queue", "delete", queue_id)
    assert result.stdout.strip() == f"deleted {queue_id}"
    shown = gateway.wait_status(queue_id, "deleted", timeout=10)
    for r in shown["recipients"]:
        assert r["status"] == "deleted", r
    events = [e["event"] for e in gateway.wait_event(queue_id, "completed")["events"]]
    assert events.count("deleted") == 2
    assert gateway.queue_list() == []
    assert gateway.spool_empty()
    assert [r["id"] for r in gateway.search("--status", "deleted")] == [queue_id]

    mx1.restart("accept")
    gateway.cli("queue", "flush")
    time.sleep(2)
    assert mx1.messages() == [], "a deleted message was delivered"
    assert sender_mx.messages() == [], "a deleted message is not a failure: no DSN"
    again = gateway.cli("queue", "delete", queue_id, check=False)
    assert again.returncode != 0 and queue_id in again.stderr


def test_delete_while_the_message_is_being_delivered(make_gateway, receivers):
    # Every reply line of this receiver takes 0.3 s (the EHLO reply about 3 s) and the
    # recipient is finally refused with a 451: the delete arrives while the recipient is in
    # flight. It must still end deleted (or delivered, had the receiver taken it), never stay
    # queued for ever.
    gateway = make_gateway({"delivery": {"retry_min_s": 1, "retry_max_s": 1}})
    mx1 = receivers(MX1_ADDR, "slow", "--delay", "0.3")
    queue_id = gateway.send(SENDER, ["tempfail-x@dest.test"], message_with("delete in flight"))
    assert wait_until(lambda: "EHLO gw.e2e.test" in mx1.command_lines(), 10), (
        "delivery did not start")
    result = gateway.cli("queue", "delete", queue_id)
    assert result.stdout.strip() == f"deleted {queue_id}"
    # The gateway may still send the transaction it had started, or drop the job it had not
    # begun yet; either way the message must end deleted and leave the queue.
    ended = wait_until(lambda: gateway.show(queue_id)["status"] in ("deleted", "delivered"), 10,
                       interval=0.3)
    shown = gateway.show(queue_id)
    assert ended, (
        "queue delete answered 'deleted' during a delivery, but the message stayed in the queue: "
        f"{json.dumps(shown, indent=1)}\nqueue list: {json.dumps(gateway.queue_list())}")
    gateway.wait_queue_empty(timeout=5)
    assert gateway.spool_empty(timeout=5)


def test_a_message_deleted_during_delivery_is_not_delivered_after_a_restart(
        make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "slow", "--delay", "0.3")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("deleted, then restarted"))
    assert wait_until(lambda: "EHLO gw.e2e.test" in mx1.command_lines(), 10)
    assert gateway.cli("queue", "delete", queue_id).stdout.strip() == f"deleted {queue_id}"
    assert wait_until(lambda: "QUIT" in mx1.command_lines(), 15), "the connection did not end"
    assert gateway.stop() == 0
    mx1.restart("accept")
    gateway.start()
    time.sleep(3)
    assert mx1.messages() == [], (
        "a message that `queue delete` reported deleted was delivered after a restart; events: "
        + json.dumps(gateway.show(queue_id)["events"]))


def test_queue_commands_without_a_running_gateway(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"retry_min_s": 60, "retry_max_s": 60}})
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    kept = gateway.send(SENDER, ["bob@dest.test"], message_with("kept"))
    dropped = gateway.send(SENDER, ["carol@dest.test"], message_with("dropped"))
    gateway.wait_rcpt(kept, "bob@dest.test", "deferred", min_attempts=1)
    gateway.wait_rcpt(dropped, "carol@dest.test", "deferred", min_attempts=1)
    assert gateway.stop() == 0

    assert {m["id"] for m in gateway.queue_list()} == {kept, dropped}
    flushed = gateway.cli("queue", "flush")
    assert "no gateway is running" in flushed.stdout, flushed.stdout
    deleted = gateway.cli("queue", "delete", dropped)
    assert deleted.stdout.strip() == f"deleted {dropped}"
    assert gateway.show(dropped)["status"] == "deleted"
    assert [m["id"] for m in gateway.queue_list()] == [kept]
    assert gateway.spool_ids() == [kept]

    mx1.restart("accept")
    gateway.start()  # the flush brought `kept` forward: delivered now, not in 60 s
    got = mx1.wait_for(1, timeout=10)
    gateway.wait_status(kept, "delivered")
    time.sleep(1)
    assert [m.meta["rcpt_tos"] for m in mx1.messages()] == [["bob@dest.test"]]
    assert gateway.show(dropped)["status"] == "deleted"
    assert got[0].raw.find(b"Subject: kept") > 0


def test_queue_show_of_an_unknown_id_is_an_error(make_gateway):
    gateway = make_gateway()
    result = gateway.cli("queue", "show", "NOSUCHID", check=False)
    assert result.returncode != 0 and "NOSUCHID" in result.stderr
    result = gateway.cli("queue", "delete", "NOSUCHID", check=False)
    assert result.returncode != 0 and "NOSUCHID" in result.stderr


def ids(rows) -> set:
    return {r["id"] for r in rows}


@pytest.fixture
def traffic(make_gateway, receivers):
    """Four messages through one gateway, two seconds apart from the third on:
    m1  IP sender 127.0.0.2, <alice@sender.test> -> bob@dest.test            delivered
    m2  IP sender 127.0.0.2, <carol@other.test>  -> dave@dest.test           delivered
    m3  AUTH alice@sender.test from 127.0.0.1, <alice@sender.test> -> reject-x@dest.test
                                                                              bounced (+ a DSN)
    m4  IP sender 127.0.0.2, <alice@sender.test> -> tempfail-y@dest.test     deferred
    """
    gateway = make_gateway({"delivery": {"retry_min_s": 60, "retry_max_s": 60}})
    gateway.cli("user", "add", "--user", SENDER, "--password-stdin", stdin=PASSWORD + "\n")
    # The IP sender is a smarthost for several domains (F-REAUTH).
    gateway.cli("user", "set", "127.0.0.2/32", "reauth_permitted=on")
    time.sleep(1.2)  # reload interval
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    m = {}
    m["m1"] = gateway.send(SENDER, ["bob@dest.test"], message_with("m1"))
    m["m2"] = gateway.send("carol@other.test", ["dave@dest.test"],
                           message_with("m2", sender="carol@other.test"))
    gateway.wait_status(m["m1"], "delivered")
    gateway.wait_status(m["m2"], "delivered")
    middle = int(time.time()) + 1
    time.sleep(max(0.0, middle - time.time()) + 0.05)
    wire = gateway.authenticated(user=SENDER, password=PASSWORD, source="127.0.0.1")
    m["m3"] = wire.submit(SENDER, ["reject-x@dest.test"], message_with("m3")).queue_id()
    wire.quit()
    m["m4"] = gateway.send(SENDER, ["tempfail-y@dest.test"], message_with("m4"))
    gateway.wait_event(m["m3"], "dsn_sent")
    gateway.wait_rcpt(m["m4"], "tempfail-y@dest.test", "deferred", min_attempts=1)
    dsn_rows = [r for r in gateway.search("--recipient", SENDER) if r["is_bounce"]]
    assert len(dsn_rows) == 1
    m["dsn"] = dsn_rows[0]["id"]
    gateway.wait_status(m["dsn"], "delivered")
    return gateway, m, middle


def test_log_search_filters(traffic):
    gateway, m, middle = traffic
    everything = set(m.values())
    assert ids(gateway.search()) == everything

    # Envelope sender, case-insensitively.
    assert ids(gateway.search("--sender", SENDER)) == {m["m1"], m["m3"], m["m4"]}
    assert ids(gateway.search("--sender", "ALICE@Sender.TEST")) == {m["m1"], m["m3"], m["m4"]}
    assert ids(gateway.search("--sender", "carol@other.test")) == {m["m2"]}
    # Envelope recipient.
    assert ids(gateway.search("--recipient", "dave@dest.test")) == {m["m2"]}
    assert ids(gateway.search("--recipient", SENDER)) == {m["dsn"]}
    assert gateway.search("--recipient", "nobody@dest.test") == []
    # Domain: the user's domain (sender.test, every message of its senders) or the sending one.
    assert ids(gateway.search("--domain", "other.test")) == {m["m2"]}
    assert {m["m1"], m["m2"], m["m3"], m["m4"]} <= ids(gateway.search("--domain", "sender.test"))
    assert ids(gateway.search("--domain", "SENDER.test")) == ids(
        gateway.search("--domain", "sender.test"))
    assert gateway.search("--domain", "dest.test") == [], "a recipient domain is no sender domain"
    # User: the outgoing user (an IP range here) or the AUTH name.
    assert ids(gateway.search("--user", "127.0.0.2/32")) == {m["m1"], m["m2"], m["m4"]}
    assert ids(gateway.search("--user", SENDER)) == {m["m3"]}
    # Client IP.
    assert ids(gateway.search("--client-ip", "127.0.0.2")) == {m["m1"], m["m2"], m["m4"]}
    assert m["m3"] in ids(gateway.search("--client-ip", "127.0.0.1"))
    assert m["m1"] not in ids(gateway.search("--client-ip", "127.0.0.1"))
    # Status.
    assert ids(gateway.search("--status", "delivered")) == {m["m1"], m["m2"], m["dsn"]}
    assert ids(gateway.search("--status", "bounced")) == {m["m3"]}
    assert ids(gateway.search("--status", "deferred")) == {m["m4"]}
    assert gateway.search("--status", "expired") == []
    # Combined: every filter must hold.
    assert ids(gateway.search("--sender", SENDER, "--status", "deferred")) == {m["m4"]}
    assert ids(gateway.search("--domain", "sender.test", "--user", SENDER,
                              "--client-ip", "127.0.0.1")) == {m["m3"]}
    assert gateway.search("--sender", "carol@other.test", "--status", "bounced") == []


def test_log_search_time_range_and_paging(traffic):
    gateway, m, middle = traffic
    everything = set(m.values())
    later = {m["m3"], m["m4"], m["dsn"]}
    earlier = {m["m1"], m["m2"]}
    assert ids(gateway.search("--since", str(middle))) == later
    assert ids(gateway.search("--until", str(middle))) == earlier
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(middle))
    assert ids(gateway.search("--since", iso)) == later
    assert ids(gateway.search("--until", iso)) == earlier
    assert ids(gateway.search("--since", "-1h")) == everything
    assert ids(gateway.search("--since", "-30m", "--until", str(middle))) == earlier
    assert gateway.search("--until", "-1h") == []
    assert gateway.search("--since", str(int(time.time()) + 3600)) == []
    today = time.strftime("%Y-%m-%d", time.gmtime())
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    assert ids(gateway.search("--since", today, "--until", tomorrow)) == everything
    assert calendar.timegm(time.strptime(today, "%Y-%m-%d")) <= min(
        r["received_at"] for r in gateway.search())

    rows = gateway.search()
    assert [r["received_at"] for r in rows] == sorted((r["received_at"] for r in rows),
                                                      reverse=True), "newest first"
    first = gateway.search("--limit", "2")
    rest = gateway.search("--limit", "100", "--offset", "2")
    assert len(first) == 2 and len(rest) == len(everything) - 2
    assert [r["id"] for r in first + rest] == [r["id"] for r in rows]


def test_log_search_output_and_bad_arguments(traffic):
    gateway, m, _ = traffic
    rows = gateway.search("--recipient", "bob@dest.test")
    (row,) = rows
    assert set(row) == MESSAGE_KEYS
    assert row["client_ip"] == "127.0.0.2" and row["sender_kind"] == "ip"
    assert row["sender"] == "127.0.0.2/32" and row["user_domain"] == "sender.test"
    assert row["sender_domain"] == "sender.test" and row["auth_user"] is None
    assert row["subject"] == "m1" and row["size"] > 0 and row["is_bounce"] is False
    (rcpt,) = row["recipients"]
    assert set(rcpt) == RECIPIENT_KEYS
    assert rcpt["rcpt_domain"] == "dest.test" and rcpt["status"] == "delivered"
    (auth_row,) = gateway.search("--user", SENDER)
    assert auth_row["auth_user"] == SENDER and auth_row["tls"] is True
    assert auth_row["recipients"][0]["status"] == "bounced"

    text = gateway.cli("log", "search").stdout
    for queue_id in m.values():
        assert queue_id in text
    for bad in (["--status", "lost"], ["--since", "yesterday-ish"], ["--until", "2026-13-45"],
                ["--limit", "0"], ["--offset", "-1"]):
        result = gateway.cli("log", "search", *bad, check=False)
        assert result.returncode != 0, f"{bad} accepted"
        assert result.stderr.strip() and result.stderr.count("\n") == 1, result.stderr


def test_alias_domain_traffic_is_logged_under_the_main_domain(make_gateway, receivers):
    gateway = make_gateway()
    gateway.cli("domain", "set", "sender.test", "--alias", "alias-sender.test")
    (listed,) = json.loads(gateway.cli("domain", "list", "--json").stdout)
    assert listed["aliases"] == ["alias-sender.test"]
    time.sleep(1.2)  # reload interval
    mx1 = receivers(MX1_ADDR)
    queue_id = gateway.send("eve@alias-sender.test", ["bob@dest.test"],
                            message_with("from the alias", sender="eve@alias-sender.test"))
    gateway.wait_status(queue_id, "delivered")
    mx1.wait_for(1)
    (row,) = gateway.search("--sender", "eve@alias-sender.test")
    assert row["mail_from"] == "eve@alias-sender.test"
    assert row["sender_domain"] == "sender.test", "alias traffic must count under the main domain"
    assert row["user_domain"] == "sender.test"
    assert queue_id in ids(gateway.search("--domain", "sender.test"))
    assert queue_id in ids(gateway.search("--domain", "alias-sender.test"))

    # A second domain with an alias: its traffic is not found under the first.
    gateway.cli("domain", "add", "other.test")
    gateway.cli("domain", "set", "other.test", "--alias", "other-alias.test")
    gateway.cli("user", "set", "127.0.0.2/32", "reauth_permitted=on")  # a smarthost (F-REAUTH)
    time.sleep(1.2)  # reload interval
    other = gateway.send("zed@other-alias.test", ["bob@dest.test"],
                         message_with("other alias", sender="zed@other-alias.test"))
    gateway.wait_status(other, "delivered")
    (row,) = gateway.search("--sender", "zed@other-alias.test")
    assert row["sender_domain"] == "other.test"
    assert ids(gateway.search("--domain", "other.test")) == {other}
    assert ids(gateway.search("--domain", "other-alias.test")) == {other}
    assert {queue_id, other} <= ids(gateway.search("--domain", "sender.test")), (
        "the user's domain sees both (the IP sender belongs to sender.test)")

    # Removing the alias: it is no longer accepted as an alias, listed without it.
    gateway.cli("domain", "set", "sender.test", "--remove-alias", "alias-sender.test")
    (listed,) = [d for d in json.loads(gateway.cli("domain", "list", "--json").stdout)
                 if d["name"] == "sender.test"]
    assert listed["aliases"] == []

"""Temporary failures are deferrals, retried with back-off until they succeed: 4xx replies,
refused connections, a receiver too slow for our time-outs, a connection dropped in the middle
of the data; `queue flush` retries at once; a deferred message survives a restart.
"""
import time

from conftest import wait_until
from delivery_fixtures import (MX1_ADDR, MX2_ADDR, SENDER, SENDER_MX_ADDR, dns, make_gateway,
                               message_with, mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name


def big_message(subject: str, lines: int = 4000) -> bytes:
    # About 300 KB: far more than one read of a receiver that drops the connection mid-data.
    return message_with(subject, [f"{subject} line {n:05d} " + "y" * 60 for n in range(lines)])


def test_tempfail_is_deferred_then_delivered_when_the_receiver_recovers(
        make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    sender_mx = receivers(SENDER_MX_ADDR)
    sent = message_with("deferred then delivered")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=2)
    rcpt = shown["recipients"][0]
    assert rcpt["last_reply"].startswith("451 "), rcpt
    assert rcpt["next_attempt_at"] >= rcpt["updated_at"]
    assert shown["status"] == "deferred"
    assert [m["id"] for m in gateway.queue_list()] == [queue_id]

    mx1.restart("accept")
    got = mx1.wait_for(1, timeout=15)
    assert len(got) == 1 and got[0].raw.endswith(sent)
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["recipients"][0]["attempts"] >= 3
    events = [e["event"] for e in shown["events"]]
    assert events.index("deferred") < events.index("delivered")
    gateway.wait_queue_empty()
    assert sender_mx.messages() == [], "a DSN for a message that was finally delivered"


def test_retry_delay_doubles_up_to_retry_max(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"retry_min_s": 1, "retry_max_s": 4}})
    receivers(MX1_ADDR, "tempfail-rcpt")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("back-off"))
    gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=4, timeout=30)
    deferrals = [e for e in gateway.show(queue_id)["events"] if e["event"] == "deferred"]
    gaps = [b["at"] - a["at"] for a, b in zip(deferrals, deferrals[1:])]
    # Delays 1, 2, 4, 4 s (1 s clock resolution on the event times).
    assert 0 <= gaps[0] <= 2, gaps
    assert 1 <= gaps[1] <= 3, gaps
    assert 3 <= gaps[2] <= 5, gaps
    next_at = gateway.show(queue_id)["recipients"][0]
    assert next_at["next_attempt_at"] - next_at["updated_at"] <= 5, "retry_max_s not applied"


def test_tempfail_after_data_is_deferred_and_flush_retries_at_once(make_gateway, receivers):
    # With a long retry delay only `queue flush` can bring the retry forward. No idle
    # connection is kept (see test_delivery_connections for reuse after a peer restart).
    gateway = make_gateway({"delivery": {"retry_min_s": 120, "retry_max_s": 600,
                                         "connection_reuse_s": 0}})
    mx1 = receivers(MX1_ADDR, "tempfail-data")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("flush me"))
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1)
    rcpt = shown["recipients"][0]
    assert rcpt["last_reply"].startswith("451 4.3.0"), rcpt
    assert rcpt["next_attempt_at"] - rcpt["updated_at"] >= 100
    mx1.restart("accept")
    time.sleep(2)
    assert mx1.messages() == [], "retried before its time"
    assert gateway.show(queue_id)["status"] == "deferred"

    result = gateway.cli("queue", "flush", queue_id)
    assert "flushed" in result.stdout, result.stdout
    assert len(mx1.wait_for(1, timeout=10)) == 1
    gateway.wait_status(queue_id, "delivered")


def test_flush_without_an_id_retries_every_deferred_message(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"retry_min_s": 120, "retry_max_s": 600,
                                         "connection_reuse_s": 0}})
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    ids = [gateway.send(SENDER, [f"r{n}@dest.test"], message_with(f"flush all {n}"))
           for n in range(3)]
    for n, queue_id in enumerate(ids):
        gateway.wait_rcpt(queue_id, f"r{n}@dest.test", "deferred", min_attempts=1)
    mx1.restart("accept")
    gateway.cli("queue", "flush")
    mx1.wait_for(3, timeout=10)
    for queue_id in ids:
        gateway.wait_status(queue_id, "delivered")


def test_unknown_message_cannot_be_flushed(make_gateway):
    gateway = make_gateway()
    result = gateway.cli("queue", "flush", "NOSUCHID", check=False)
    assert result.returncode != 0
    assert "NOSUCHID" in result.stderr and result.stderr.count("\n") == 1


def test_refused_connections_to_every_mx_are_deferred(make_gateway, receivers):
    gateway = make_gateway()
    sender_mx = receivers(SENDER_MX_ADDR)
    queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with("nobody home"))
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=2)
    assert "refused" in shown["recipients"][0]["last_reply"].lower(), shown["recipients"]
    mx2 = receivers(MX2_ADDR)  # the backup comes up
    mx2.wait_for(1, timeout=10)
    gateway.wait_status(queue_id, "delivered")
    assert sender_mx.messages() == []


def test_slow_greeting_times_out_and_is_retried(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"greeting_timeout_s": 1, "command_timeout_s": 1}})
    mx1 = receivers(MX1_ADDR, "slow", "--delay", "3")
    receivers(MX2_ADDR, "slow", "--delay", "3")  # the last error is a time-out either way
    sent = message_with("slow peer")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1, timeout=15)
    reply = shown["recipients"][0]["last_reply"].lower()
    assert "time" in reply, f"a time-out should say so: {reply!r}"
    mx1.restart("accept")
    assert mx1.wait_for(1, timeout=15)[-1].raw.endswith(sent)
    gateway.wait_status(queue_id, "delivered")


def test_slow_reply_to_the_data_times_out_and_is_retried(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"data_timeout_s": 1}})
    mx1 = receivers(MX1_ADDR, "slow-data", "--delay", "4")
    sent = message_with("slow data reply")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1, timeout=15)
    assert "time" in shown["recipients"][0]["last_reply"].lower(), shown["recipients"]
    mx1.restart("accept")
    # The slow receiver may have kept the first copy after all (RFC 1047): at least one more.
    first_run = [m for m in mx1.messages() if m.run == 1]
    got = mx1.wait_for(len(first_run) + 1, timeout=15)
    assert any(m.run == 2 and m.raw.endswith(sent) for m in got)
    gateway.wait_status(queue_id, "delivered")


def test_connection_dropped_mid_data_is_deferred_then_delivered_whole(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "drop-mid-data")
    sent = big_message("dropped mid data")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    shown = gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1)
    assert shown["recipients"][0]["status"] == "deferred"
    assert mx1.messages() == []
    mx1.restart("accept")
    got = mx1.wait_for(1, timeout=15)
    assert len(got) == 1
    assert got[0].raw.endswith(sent), "the retried message is not whole"
    gateway.wait_status(queue_id, "delivered")


def test_deferred_message_survives_a_restart_and_is_delivered_after_it(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"retry_min_s": 2, "retry_max_s": 2}})
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    sent = message_with("across a restart")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1)
    assert gateway.stop() == 0
    assert gateway.spool_count() == 1, "the deferred message left the spool at shutdown"
    mx1.restart("accept")
    gateway.start()
    assert mx1.wait_for(1, timeout=15)[0].raw.endswith(sent)
    shown = gateway.wait_status(queue_id, "delivered")
    assert shown["recipients"][0]["attempts"] >= 2, "attempts were forgotten over the restart"


def test_deferred_message_survives_kill_9(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR, "tempfail-rcpt")
    sent = message_with("across kill -9")
    queue_id = gateway.send(SENDER, ["bob@dest.test"], sent)
    gateway.wait_rcpt(queue_id, "bob@dest.test", "deferred", min_attempts=1)
    gateway.kill9()
    mx1.restart("accept")
    gateway.start()
    assert mx1.wait_for(1, timeout=15)[0].raw.endswith(sent)
    gateway.wait_status(queue_id, "delivered")
    assert wait_until(lambda: gateway.spool_count() == 0, 10)

"""Outgoing connections: several messages over one connection (queued together, or arriving
while it idles), messages_per_connection, the reuse window; per-domain routes
(`domain set D route=HOST:PORT`, aliases included, changed while serving) and a relay host
(`--relay-host`, `delivery.relay_host`) that take the place of MX look-ups.
"""
import collections
import json
import time

from conftest import free_port, wait_until
from delivery_fixtures import (MX1_ADDR, RELAY_ADDR, ROUTE_ADDR, SENDER, dns, make_gateway,
                               message_with, mx_port, receivers, sinks, stuffed)

__all__ = ["dns", "make_gateway", "mx_port", "receivers", "sinks"]  # fixtures used by name


def submit_many(gateway, count, subject, rcpt="r{n}@dest.test"):
    """`count` messages over one client session; returns their queue ids."""
    wire = gateway.session(source="127.0.0.2")
    ids = [wire.submit(SENDER, [rcpt.format(n=n)], stuffed(message_with(f"{subject} {n}")))
           .queue_id() for n in range(count)]
    wire.quit()
    return ids


def test_queued_messages_share_one_connection(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"max_connections_per_destination": 1,
                                         "connection_reuse_s": 5}})
    mx1 = receivers(MX1_ADDR)
    ids = submit_many(gateway, 5, "shared")
    got = mx1.wait_for(5)
    assert {m.meta["connection"] for m in got} == {1}, [m.meta["connection"] for m in got]
    assert mx1.command_lines().count("EHLO gw.e2e.test") == 1
    for queue_id in ids:
        gateway.wait_status(queue_id, "delivered")


def test_a_message_arriving_while_a_connection_idles_takes_that_connection(
        make_gateway, receivers):
    gateway = make_gateway({"delivery": {"connection_reuse_s": 10}})
    mx1 = receivers(MX1_ADDR)
    for n in range(3):
        queue_id = gateway.send(SENDER, ["bob@dest.test"], message_with(f"one by one {n}"))
        gateway.wait_status(queue_id, "delivered")
    got = mx1.wait_for(3)
    assert [m.meta["connection"] for m in got] == [1, 1, 1]
    assert "QUIT" not in mx1.command_lines(), "the idle connection was closed within its window"


def test_messages_per_connection_limits_each_connection(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"max_connections_per_destination": 1,
                                         "messages_per_connection": 2, "connection_reuse_s": 5}})
    mx1 = receivers(MX1_ADDR)
    submit_many(gateway, 5, "limited")
    got = mx1.wait_for(5)
    per_connection = collections.Counter(m.meta["connection"] for m in got)
    assert sorted(per_connection.values()) == [1, 2, 2], per_connection


def test_idle_connection_is_closed_after_the_reuse_window(make_gateway, receivers):
    gateway = make_gateway({"delivery": {"connection_reuse_s": 1}})
    mx1 = receivers(MX1_ADDR)
    first = gateway.send(SENDER, ["bob@dest.test"], message_with("before the pause"))
    gateway.wait_status(first, "delivered")
    assert wait_until(lambda: "QUIT" in mx1.command_lines(), 5), (
        "the idle connection was not closed with QUIT after connection_reuse_s")
    second = gateway.send(SENDER, ["bob@dest.test"], message_with("after the pause"))
    gateway.wait_status(second, "delivered")
    assert [m.meta["connection"] for m in mx1.wait_for(2)] == [1, 2]


def test_an_idle_connection_the_receiver_closed_does_not_cost_a_retry(make_gateway, receivers):
    # The receiver goes away while our connection to it idles (restart, its own idle time-out,
    # a 421 shutdown). The next message must go over a new connection at once, not be deferred
    # with "lost connection" and an attempt counted (the back-off would be retry_min_s, 300 s
    # by default).
    gateway = make_gateway({"delivery": {"connection_reuse_s": 10, "retry_min_s": 60,
                                         "retry_max_s": 120}})
    mx1 = receivers(MX1_ADDR)
    first = gateway.send(SENDER, ["bob@dest.test"], message_with("before the restart"))
    gateway.wait_status(first, "delivered")
    mx1.restart("accept")  # closes the idle connection from the receiver's side
    second = gateway.send(SENDER, ["bob@dest.test"], message_with("after the restart"))
    shown = gateway.wait_status(second, ["delivered", "deferred"])
    rcpt = shown["recipients"][0]
    assert shown["status"] == "delivered", (
        f"deferred over a connection the receiver had closed while it idled: {rcpt}\n"
        f"events: {json.dumps(shown['events'], indent=1)}")
    assert rcpt["attempts"] == 1


def test_domain_route_overrides_mx_for_the_domain_and_its_aliases(make_gateway, receivers):
    gateway = make_gateway()
    mx1 = receivers(MX1_ADDR)  # routed.test's MX in DNS
    route_port = free_port()  # like a customer server on 2525
    routed = receivers(ROUTE_ADDR, port=route_port, name="route")
    gateway.cli("domain", "add", "routed.test")

    before = gateway.send(SENDER, ["a@routed.test"], message_with("before the route"))
    gateway.wait_status(before, "delivered")
    assert len(mx1.messages()) == 1, "without a route, mail goes to the MX from DNS"

    # Changed while serving: the gateway picks it up within its reload interval.
    gateway.cli("domain", "set", "routed.test", f"route={ROUTE_ADDR}:{route_port}",
                "--alias", "routed-alias.test")
    (listed,) = [d for d in json.loads(gateway.cli("domain", "list", "--json").stdout)
                 if d["name"] == "routed.test"]
    assert listed["route"] == f"{ROUTE_ADDR}:{route_port}"
    assert listed["aliases"] == ["routed-alias.test"]
    time.sleep(1.5)  # server.reload_interval_ms is 1000

    ids = [gateway.send(SENDER, ["b@routed.test"], message_with("routed to the main domain")),
           gateway.send(SENDER, ["c@routed-alias.test"], message_with("routed to the alias"))]
    got = routed.wait_for(2)
    assert sorted(r for m in got for r in m.meta["rcpt_tos"]) == ["b@routed.test",
                                                                  "c@routed-alias.test"]
    for queue_id in ids:
        shown = gateway.wait_status(queue_id, "delivered")
        assert shown["recipients"][0]["remote_host"].endswith(f"[{ROUTE_ADDR}]:{route_port}")
    assert len(mx1.messages()) == 1, "mail with a route went to the MX"

    # Other domains keep their MX.
    other = gateway.send(SENDER, ["d@dest.test"], message_with("not routed"))
    gateway.wait_status(other, "delivered")
    assert len(mx1.messages()) == 2 and len(routed.messages()) == 2

    # An empty route removes it.
    gateway.cli("domain", "set", "routed.test", "route=")
    time.sleep(1.5)
    after = gateway.send(SENDER, ["e@routed.test"], message_with("route removed"))
    gateway.wait_status(after, "delivered")
    assert len(mx1.messages()) == 3 and len(routed.messages()) == 2


def test_route_set_before_start_is_used(make_gateway, receivers):
    route_port = free_port()
    gateway = make_gateway(start=False)
    gateway.cli("domain", "add", "routed.test")
    gateway.cli("domain", "set", "routed.test", f"route={ROUTE_ADDR}:{route_port}")
    gateway.start()
    routed = receivers(ROUTE_ADDR, port=route_port, name="route")
    queue_id = gateway.send(SENDER, ["a@routed.test"], message_with("route at start"))
    routed.wait_for(1)
    gateway.wait_status(queue_id, "delivered")


def test_relay_host_takes_all_mail_without_dns(make_gateway, receivers, sinks):
    relay_port = free_port()
    sink = sinks(RELAY_ADDR, relay_port)
    # --relay-host wins over delivery.relay_host (which points at nothing here).
    gateway = make_gateway({"delivery": {"relay_host": f"{RELAY_ADDR}:{free_port()}"}},
                           serve_args=["--relay-host", f"{RELAY_ADDR}:{relay_port}"])
    mx1 = receivers(MX1_ADDR)
    # None of these could be delivered by MX: NXDOMAIN, null MX, REFUSED by the DNS server.
    rcpts = ["x@nowhere.test", "y@nullmx.test", "z@example.net", "w@dest.test"]
    sent = message_with("via the relay", [".dot", "end"])
    queue_id = gateway.send(SENDER, rcpts, sent)
    shown = gateway.wait_status(queue_id, "delivered")
    for r in shown["recipients"]:
        assert r["status"] == "delivered"
        assert r["remote_host"].endswith(f"[{RELAY_ADDR}]:{relay_port}"), r
    assert wait_until(lambda: len(sink.dumps()) == 1, 5)
    (dump,) = sink.dumps()
    assert b"X-Mail-Args: <alice@sender.test>" in dump
    for rcpt in rcpts:
        assert f"X-Rcpt-Args: <{rcpt}>".encode() in dump
    # smtp-sink stores LF line ends and has un-stuffed the leading dot.
    assert sent.replace(b"\r\n", b"\n") in dump
    assert mx1.messages() == []


def test_relay_host_from_the_config_file(make_gateway, receivers):
    relay_port = free_port()
    relay = receivers(RELAY_ADDR, port=relay_port, name="relay")
    gateway = make_gateway({"delivery": {"relay_host": f"{RELAY_ADDR}:{relay_port}"}})
    sent = message_with("config relay")
    queue_id = gateway.send(SENDER, ["q@nowhere.test"], sent)
    assert relay.wait_for(1)[0].raw.endswith(sent)
    gateway.wait_status(queue_id, "delivered")

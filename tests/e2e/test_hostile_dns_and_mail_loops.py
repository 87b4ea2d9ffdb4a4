"""Hostile DNS and mail loops (issue 15, items 10 and 16), against a real gateway delivering
through a hostile name server (tests/peers/hostile_dns.py, UDP and TCP on loopback):

- a compression loop in an MX answer defers the mail; the gateway stays up and delivers on;
- 1,000 MX records (a truncated UDP reply, asked again on TCP) cost a bounded number of look-ups;
- an MX that is the gateway itself bounces with 5.4.6 instead of looping; MX addresses on
  loopback or (when closed) private ranges are not used, 5.4.4;
- a message that carries more Received: fields than [smtp] max_hops is refused with 554 5.4.6;
- a block list whose TXT record is 60,000 octets still refuses with a short reply.
"""
import pathlib
import subprocess
import time

import pytest

from conftest import REPO, free_port
from delivery_fixtures import (MX1_ADDR, SENDER, SENDER_DOMAIN, make_gateway, message_with,
                               mx_port, receivers, stop_process)

__all__ = ["make_gateway", "mx_port", "receivers"]  # fixtures used by name

HOSTILE_DNS = REPO / "tests" / "peers" / "hostile_dns.py"
MAX_MX_HOSTS_LOOKED_UP = 10  # src/net/mx_route.cpp kMaxMxHosts


class HostileDns:
    def __init__(self, root: pathlib.Path):
        self.port = free_port()
        self.log = root / "queries.log"
        self.log.touch()
        self.server = f"127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(["/usr/bin/python3", str(HOSTILE_DNS), str(self.port),
                                      str(self.log)], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", f"hostile DNS did not start: {line!r}"

    def queries(self) -> list[tuple[str, str, str]]:
        return [tuple(line.split()) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> None:
        stop_process(self.proc)


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    """The hostile name server in place of dnsmasq (overrides delivery_fixtures.dns)."""
    server = HostileDns(tmp_path_factory.mktemp("hostile-dns"))
    yield server
    server.stop()


def bounced_reply(gw, queue_id: str, rcpt: str) -> str:
    shown = gw.wait_rcpt(queue_id, rcpt, "bounced")
    return next(r for r in shown["recipients"] if r["rcpt"] == rcpt)["last_reply"]


def test_a_compression_loop_defers_and_the_gateway_delivers_on(make_gateway, receivers):
    gw = make_gateway()
    mx1 = receivers(MX1_ADDR)
    looping = gw.send(SENDER, ["bob@loop.hostile.test"],
                      message_with("loop", to="bob@loop.hostile.test"))
    shown = gw.wait_rcpt(looping, "bob@loop.hostile.test", "deferred", min_attempts=1)
    reply = shown["recipients"][0]["last_reply"]
    assert reply.startswith("4.4.3") and "malformed reply" in reply, reply
    fine = gw.send(SENDER, ["carol@many.hostile.test"], message_with("after the loop"))
    gw.wait_status(fine, "delivered")
    assert len(mx1.wait_for(1)) == 1
    assert gw.proc.poll() is None


def test_a_thousand_mx_records_cost_a_bounded_number_of_look_ups(make_gateway, receivers, dns):
    gw = make_gateway()
    mx1 = receivers(MX1_ADDR)
    before = len(dns.queries())
    queue_id = gw.send(SENDER, ["dave@many.hostile.test"], message_with("many mx"))
    gw.wait_status(queue_id, "delivered")
    assert mx1.wait_for(1)[0].meta["rcpt_tos"] == ["dave@many.hostile.test"]
    asked = dns.queries()[before:]
    assert ("many.hostile.test.", "MX", "tcp") in asked, f"no retry on TCP: {asked}"
    hosts = {name for name, kind, _ in asked if name.endswith(".many.hostile.test.") and kind == "A"}
    assert 1 <= len(hosts) <= MAX_MX_HOSTS_LOOKED_UP, sorted(hosts)
    # The lowest preferences are the ones asked about (mx1..mx10), whatever the reply order.
    assert hosts <= {f"mx{n}.many.hostile.test." for n in range(1, 11)}, sorted(hosts)


def test_the_best_mx_being_the_gateway_bounces_with_5_4_6(make_gateway):
    port = free_port()
    # The gateway's MX port is its own listening port: self.hostile.test's MX is this gateway.
    gw = make_gateway({"delivery": {"smtp_port": port}}, start=False)
    gw.port = port
    gw.start()
    queue_id = gw.send(SENDER, ["eve@self.hostile.test"], message_with("to myself"))
    reply = bounced_reply(gw, queue_id, "eve@self.hostile.test")
    assert reply.startswith("5.4.6") and "loops back to myself" in reply, reply
    accepted = gw.log_text().count("event=accepted")
    time.sleep(1)
    assert gw.log_text().count("event=accepted") == accepted, "the gateway sent mail to itself"


@pytest.mark.parametrize("domain,settings,why", [
    ("self.hostile.test", {"allow_loopback_mx": False}, "loopback"),  # the default
    ("private.hostile.test", {"allow_private_mx": False}, "private"),
])
def test_mx_addresses_in_refused_ranges_are_not_used(make_gateway, domain, settings, why):
    gw = make_gateway({"delivery": settings})
    rcpt = f"frank@{domain}"
    queue_id = gw.send(SENDER, [rcpt], message_with("refused range", to=rcpt))
    reply = bounced_reply(gw, queue_id, rcpt)
    assert reply.startswith("5.4.4") and why in reply, reply


def test_more_received_fields_than_max_hops_is_a_mail_loop(make_gateway, receivers):
    gw = make_gateway({"smtp": {"max_hops": 5}})
    mx1 = receivers(MX1_ADDR)
    trace = [f"Received: from hop{n}.test by hop{n + 1}.test; Sat, 5 Dec 2026 10:00:0{n} +0000"
             for n in range(6)]
    def with_trace(hops: int) -> bytes:
        head = ("\r\n".join(trace[:hops]) + "\r\nFrom:").encode()
        return message_with(f"{hops} hops").replace(b"From:", head, 1)

    wire = gw.session(source="127.0.0.2")
    try:
        refused = wire.submit(SENDER, ["bob@many.hostile.test"], with_trace(6))
        assert refused.code == 554 and refused.enhanced == "5.4.6", refused
        accepted = wire.submit(SENDER, ["bob@many.hostile.test"], with_trace(5))
        assert accepted.code == 250, accepted
        wire.quit()
    finally:
        wire.close()
    assert len(mx1.wait_for(1)) == 1
    assert "event=reject reason=mail_loop" in gw.log_text()


def test_a_block_lists_oversized_txt_records_keep_the_reply_short(make_gateway, dns):
    gw = make_gateway({"ip_reputation": {"zones": ["bl.hostile.test"]}}, start=False,
                      serve_args=["--dns", dns.server])
    gw.cli("user", "add", "--ip", "127.0.0.3/32", "--owner", SENDER_DOMAIN)
    gw.start()
    for source in ("127.0.0.2", "127.0.0.3"):  # TXT of 60,000 and of 3,000 octets
        wire = gw.session(source=source)
        try:
            reply = wire.cmd(f"MAIL FROM:<{SENDER}>")
            assert reply.code == 550 and "bl.hostile.test" in reply.first, reply
            assert all(len(line) <= 512 for line in reply.raw.split(b"\r\n")), reply
        finally:
            wire.close()
    assert gw.proc.poll() is None
    assert any(name == "2.0.0.127.bl.hostile.test." and kind == "TXT"
               for name, kind, _ in dns.queries()), "the TXT record was never asked for"

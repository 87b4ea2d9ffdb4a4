"""IP reputation end to end (F-IPREP): a real DNS server (dnsmasq) serves the block-list zones
bl.test and bl2.test beside the delivery zone; clients connect from their own loopback
addresses, and the gateway asks the lists about each client IP at MAIL.

    2.0.0.127.bl.test   A 127.0.0.2, TXT "Listed by bl.test for testing"
    2.0.0.127.bl2.test  A 127.0.0.2      (127.0.0.2 is on both lists)
    3.0.0.127.bl2.test  A 127.0.0.2      (127.0.0.3 is on bl2.test only)
    127.0.0.1           on no list

Every record has a TTL of 300 s (--local-ttl), so the gateway may keep answers; dnsmasq logs
every query it gets (--log-queries), which shows whether a look-up came from the cache."""
import re
import pytest

from conftest import wait_until
from delivery_fixtures import (MX1_ADDR, SENDER_DOMAIN, ZONE, Dnsmasq, make_gateway, mx_port,
                               receivers)
from smtp_wire import message

__all__ = ["make_gateway", "mx_port", "receivers"]  # fixtures used by name

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
LISTED = "127.0.0.2"      # on bl.test and bl2.test
HALF_LISTED = "127.0.0.3"  # on bl2.test only
CLEAN = "127.0.0.1"       # on no list

BLOCK_LISTS = [
    "--local-ttl=300",
    "--host-record=2.0.0.127.bl.test,127.0.0.2",
    "--txt-record=2.0.0.127.bl.test,Listed by bl.test for testing",
    "--host-record=2.0.0.127.bl2.test,127.0.0.2",
    "--host-record=3.0.0.127.bl2.test,127.0.0.2",
]


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    """dnsmasq with the delivery zone and the block lists (overrides delivery_fixtures.dns)."""
    server = Dnsmasq(tmp_path_factory.mktemp("dns"), ZONE + BLOCK_LISTS)
    server.start()
    yield server
    server.stop()


def queries(dns, name: str) -> int:
    """How many A queries for `name` dnsmasq has answered so far."""
    return len(re.findall(rf"query\[A\] {re.escape(name)} from", dns.log.read_text()))


def gateway(make_gateway, dns, ip_reputation: dict, *settings: str):
    gw = make_gateway({"ip_reputation": ip_reputation}, start=False,
                      serve_args=["--dns", dns.server])
    for ip in (CLEAN, HALF_LISTED):
        gw.cli("user", "add", "--ip", f"{ip}/32", "--owner", SENDER_DOMAIN)
    for ip in (LISTED, CLEAN, HALF_LISTED):
        if settings:
            gw.cli("user", "set", f"{ip}/32", *settings)
    gw.start()
    return gw


def attempt(gw, source: str, body: str = "Hello.", subject: str = "iprep"):
    """One transaction from `source`; returns the first refusal or the reply to the data."""
    wire = gw.session(source=source)
    try:
        reply = wire.cmd(f"MAIL FROM:<{SENDER}>")
        if reply.code != 250:
            return reply
        reply = wire.cmd(f"RCPT TO:<{RCPT}>")
        if reply.code != 250:
            return reply
        reply = wire.data(message(subject=subject, body=body, sender=SENDER, to=RCPT))
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def decisions_contain(gw, *texts: str) -> bool:
    """Waits (bounded) until the decision log, written in batches, holds every text."""
    def check():
        out = gw.cli("log", "decisions", "--json").stdout
        return all(text in out for text in texts)
    return wait_until(check, 10)


def test_a_listed_client_is_refused_at_mail_naming_the_list(make_gateway, dns, receivers):
    receiver = receivers(MX1_ADDR)
    gw = gateway(make_gateway, dns, {"zones": ["bl.test"]})
    refused = attempt(gw, LISTED)
    assert refused.code == 550, refused
    assert "5.7.1" in refused.first and "bl.test" in refused.first, refused
    assert decisions_contain(gw, "dnsbl:bl.test", "Listed by bl.test for testing",
                             "127.0.0.2 listed in bl.test (answer 127.0.0.2)")

    passed = attempt(gw, CLEAN)
    assert passed.code == 250, passed
    got = receiver.wait_for(1)
    assert len(got) == 1 and got[0].mail_from == SENDER
    assert "event=ip_reputation client=127.0.0.1 listed=\"\"" in gw.log_text()


def test_check_ip_reputation_off_passes_without_asking(make_gateway, dns, receivers):
    receivers(MX1_ADDR)
    before = queries(dns, "2.0.0.127.bl.test")
    gw = gateway(make_gateway, dns, {"zones": ["bl.test"]}, "check_ip_reputation=false")
    reply = attempt(gw, LISTED)
    assert reply.code == 250, reply
    assert queries(dns, "2.0.0.127.bl.test") == before


def test_weights_add_up_to_the_threshold(make_gateway, dns, receivers):
    receiver = receivers(MX1_ADDR)
    gw = gateway(make_gateway, dns, {"zones": ["bl.test=0.5", "bl2.test=0.5"]})
    one = attempt(gw, HALF_LISTED)  # 0.5 < 1.0
    assert one.code == 250, one
    both = attempt(gw, LISTED)  # 0.5 + 0.5 = 1.0
    assert both.code == 550, both
    assert "bl.test" in both.first and "bl2.test" in both.first, both
    assert len(receiver.wait_for(1)) == 1


def test_answers_are_cached_by_their_ttl(make_gateway, dns, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, dns, {"zones": ["bl.test"]})
    listed_before = queries(dns, "2.0.0.127.bl.test")
    clean_before = queries(dns, "1.0.0.127.bl.test")
    for _ in range(3):
        assert attempt(gw, LISTED).code == 550
        assert attempt(gw, CLEAN).code == 250
    # One query per name for three sessions each: the listing and the NXDOMAIN are both kept.
    assert queries(dns, "2.0.0.127.bl.test") == listed_before + 1
    assert queries(dns, "1.0.0.127.bl.test") == clean_before + 1
    log = gw.log_text()
    assert len(re.findall(r"event=ip_reputation client=127\.0\.0\.2 .* queries=1 cached=0",
                          log)) == 1
    assert len(re.findall(r"event=ip_reputation client=127\.0\.0\.2 .* queries=0 cached=1",
                          log)) == 2


def test_a_list_that_does_not_answer_is_not_a_listing(make_gateway, dns, receivers):
    receivers(MX1_ADDR)
    # dnsmasq refuses names outside .test (no upstream): the look-up fails, the mail goes on.
    gw = gateway(make_gateway, dns, {"zones": ["bl.example"], "timeout_ms": 500})
    reply = attempt(gw, LISTED)
    assert reply.code == 250, reply
    assert wait_until(lambda: "event=dnsbl_error client=127.0.0.2 zone=bl.example"
                      in gw.log_text(), 5)


def test_a_bad_local_history_refuses_the_ip(make_gateway, dns, receivers):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway, dns,
                 {"history": True, "history_min_messages": 4, "history_window_hours": 1},
                 "automatic_lock=false")
    assert attempt(gw, HALF_LISTED, subject="ham").code == 250
    for i in range(3):
        reply = attempt(gw, HALF_LISTED, body=f"Buy now.\n{GTUBE}", subject=f"spam {i}")
        assert reply.code == 550 and "quarantine" in reply.first, reply
    # 3 spam of 4 messages: ratio 0.75 >= 0.5 with the minimum of 4 messages.
    refused = attempt(gw, HALF_LISTED)
    assert refused.code == 550, refused
    assert "local history" in refused.first, refused
    assert decisions_contain(gw, "ip_history", "sent 3 spam of 4 messages")
    # Another IP keeps its good name.
    assert attempt(gw, CLEAN).code == 250


def test_bad_zone_in_config_stops_serve(make_gateway, dns):
    gw = make_gateway({"ip_reputation": {"zones": ["bl.test=lots"]}}, start=False)
    result = gw.serve_expecting_refusal()
    assert result.returncode != 0
    assert "ip_reputation.zones" in result.stderr and "bl.test=lots" in result.stderr

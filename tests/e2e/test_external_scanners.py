"""F-SPAM optional external scanners: rspamd (HTTP /checkv2) and spamd (SPAMC/1.5), the real
daemons (external_scanner_fixtures.py), asked by the gateway at the end of DATA.

- GTUBE with either scanner on: quarantined (550 5.7.1), and the scanner's own answer (spam,
  symbol GTUBE) is in the server log. Our GTUBE check comes first in the chain, so the
  quarantine's reasons name the scanners on a message only they flag (PW_E2E_SPAM).
- A clean short message passes both and is spooled.
- A scanner that does not listen: 451 4.3.0 naming it, nothing spooled; with on_failure =
  "accept" the message passes and the log says it went unscanned.
- Off by default: the running daemons are never asked.
"""
from __future__ import annotations

import json
import re
import time

import pytest

from conftest import USER, free_port, wait_until
from external_scanner_fixtures import PW_E2E_TOKEN, rspamd, spamd  # noqa: F401 (fixtures)

RCPT = "bob@example.net"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def message(subject: str, body: str) -> bytes:
    lines = [f"From: Alice <{USER}>", f"To: Bob <{RCPT}>", f"Subject: {subject}",
             f"Message-ID: <{time.monotonic_ns()}.e2e@example.com>",
             "Date: Wed, 25 Nov 2026 22:00:00 +0000", "MIME-Version: 1.0",
             "Content-Type: text/plain; charset=us-ascii", "", body]
    return "\r\n".join(lines).encode() + b"\r\n"


CLEAN = message("lunch tomorrow", "Hi Bob,\r\n\r\nshall we meet for lunch at noon tomorrow?\r\n"
                "\r\nAlice")


def started(make_node, **sections):
    node = make_node(sections)
    node.provision()
    node.start()
    return node


def send(node, data: bytes):
    wire = node.authenticated()
    try:
        return wire.submit(USER, [RCPT], data)
    finally:
        wire.close()


def quarantined(node) -> list[dict]:
    return json.loads(node.cli("quarantine", "list", "--json").stdout)


def scan_lines(node, scanner: str) -> list[str]:
    return [line for line in node.log_text().splitlines()
            if f"event=external_scan scanner={scanner} " in line]


def test_gtube_with_rspamd_is_quarantined_and_rspamd_saw_gtube(make_node, rspamd):
    node = started(make_node, rspamd={"url": rspamd.url})
    before = rspamd.scanned()
    reply = send(node, message("gtube", f"Buy now.\r\n{GTUBE}"))
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply.line
    assert "quarantine id" in reply.line
    assert len(quarantined(node)) == 1
    assert rspamd.scanned() == before + 1
    [line] = scan_lines(node, "rspamd")
    assert "spam=true" in line and "action reject" in line and "GTUBE(" in line, line


def test_rspamd_verdict_quarantines_with_rspamd_reasons(make_node, rspamd):
    node = started(make_node, rspamd={"url": rspamd.url})
    reply = send(node, message("offer", f"A special offer. {PW_E2E_TOKEN}"))
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply.line
    [row] = quarantined(node)
    assert row["check"] == "external_scanners", row
    assert "rspamd: score" in row["reasons"] and "PW_E2E_SPAM(20.00)" in row["reasons"], row
    assert "action reject" in row["reasons"], row


def test_gtube_with_spamd_is_quarantined_and_spamd_saw_gtube(make_node, spamd):
    node = started(make_node, spamd={"address": spamd.address})
    reply = send(node, message("gtube", f"Buy now.\r\n{GTUBE}"))
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply.line
    assert len(quarantined(node)) == 1
    [line] = scan_lines(node, "spamd")
    assert "spam=true" in line and "GTUBE(1000.00)" in line, line


def test_spamd_verdict_quarantines_with_spamd_reasons(make_node, spamd):
    node = started(make_node, spamd={"address": spamd.address})
    reply = send(node, message("offer", f"A special offer. {PW_E2E_TOKEN}"))
    assert reply.code == 550 and reply.enhanced == "5.7.1", reply.line
    [row] = quarantined(node)
    assert row["check"] == "external_scanners", row
    assert "spamd: score" in row["reasons"] and "PW_E2E_SPAM(20.00)" in row["reasons"], row


def test_a_clean_message_passes_both_scanners(make_node, rspamd, spamd):
    node = started(make_node, rspamd={"url": rspamd.url}, spamd={"address": spamd.address})
    reply = send(node, CLEAN)
    assert reply.code == 250, reply.line
    assert node.spool_ids() == [reply.queue_id()]
    assert quarantined(node) == []
    [r_line] = scan_lines(node, "rspamd")
    [s_line] = scan_lines(node, "spamd")
    assert "spam=false" in r_line and "spam=false" in s_line, (r_line, s_line)
    # The per-message latency as each scanner answered (printed for the report).
    print("\n" + "\n".join(re.sub(r".*event=", "event=", l) for l in (r_line, s_line)))


@pytest.mark.parametrize("scanner", ["rspamd", "spamd"])
def test_a_scanner_that_does_not_listen_gives_451(make_node, scanner):
    port = free_port()  # nothing listens there
    section = {"url": f"http://127.0.0.1:{port}"} if scanner == "rspamd" else {
        "address": f"127.0.0.1:{port}"}
    node = started(make_node, **{scanner: section})
    reply = send(node, CLEAN)
    assert reply.code == 451 and reply.enhanced == "4.3.0", reply.line
    assert f"({scanner} unavailable)" in reply.line, reply.line
    assert node.spool_count() == 0
    assert f"event=external_scan_failed scanner={scanner}" in node.log_text()
    assert f"cannot connect to 127.0.0.1:{port}" in node.log_text()


def test_on_failure_accept_passes_unscanned_with_a_warning(make_node):
    port = free_port()
    node = started(make_node, rspamd={"url": f"http://127.0.0.1:{port}", "on_failure": "accept"})
    reply = send(node, CLEAN)
    assert reply.code == 250, reply.line
    assert node.spool_count() == 1
    assert "message passes UNSCANNED" in node.log_text()


def test_off_by_default_no_scanner_is_asked(make_node, rspamd, spamd):
    node = started(make_node)
    scanned, connections = rspamd.scanned(), spamd.connections()
    spam = send(node, message("offer", f"A special offer. {PW_E2E_TOKEN}"))
    assert spam.code == 250, spam.line  # only the scanners know this token
    assert send(node, CLEAN).code == 250
    assert not wait_until(lambda: rspamd.scanned() != scanned or
                          spamd.connections() != connections, timeout=1.0)
    assert "event=external_scan" not in node.log_text()

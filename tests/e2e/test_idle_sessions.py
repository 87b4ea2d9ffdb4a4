"""Lean idle sessions (issue 17, item 3): a session waiting for its next command holds no read
buffer and, until STARTTLS, no TLS state, and a TLS session holds no staging buffers, so many
idle clients cost little memory while a real client is served. Memory is the gateway's VmRSS,
compared per session with bounds well above what a lean session needs (about 7 KiB plain,
23 KiB TLS) and well below what they cost before (72 KiB plain: a 16 KiB read buffer and an
unused asio TLS stream; 80-114 KiB TLS: asio's BIO pair and staging buffers). Not asserted under
AddressSanitizer, whose redzones change sizes.
"""
import time

import pytest

from conftest import sanitized
from smtp_wire import SmtpWire

IDLE = 300
IDLE_TLS = 100
MAX_KIB_PER_PLAIN_SESSION = 32
MAX_KIB_PER_TLS_SESSION = 48


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


def open_idle(node, count):
    sessions = []
    for _ in range(count):
        wire = SmtpWire(node.port, source="127.0.0.1")
        wire.check(wire.greeting(), 220, where="as greeting")
        sessions.append(wire)
    return sessions


@pytest.mark.pw_config(server={"max_sessions": 1000, "max_sessions_per_ip": 1000})
def test_idle_plain_sessions_hold_no_buffers_and_a_client_is_served(node):
    pid = node.proc.pid
    open_idle(node, 20)  # the event loops' first allocations, outside the measure
    time.sleep(0.5)
    before = rss_kib(pid)
    sessions = open_idle(node, IDLE)
    # Each has said EHLO and waits: the reply buffer is sent, the read buffer given back.
    for wire in sessions[:50]:
        wire.ehlo()
    time.sleep(0.5)
    per_session = (rss_kib(pid) - before) / IDLE
    client = SmtpWire(node.port, source="127.0.0.1")
    client.check(client.greeting(), 220, where="as greeting")
    client.ehlo()
    client.expect("NOOP", 250, "2.0.0")
    client.quit()
    if not sanitized():
        assert per_session < MAX_KIB_PER_PLAIN_SESSION, f"{per_session:.1f} KiB per idle session"
    for wire in sessions:
        wire.close()


@pytest.mark.pw_config(server={"max_sessions": 1000, "max_sessions_per_ip": 1000})
def test_idle_tls_sessions_hold_no_staging_buffers(node):
    pid = node.proc.pid
    warm = open_idle(node, 10)
    for wire in warm:
        wire.ehlo()
        wire.starttls()
    time.sleep(0.5)
    before = rss_kib(pid)
    sessions = open_idle(node, IDLE_TLS)
    for wire in sessions:
        wire.ehlo()
        wire.starttls()
        wire.ehlo()
    time.sleep(0.5)
    per_session = (rss_kib(pid) - before) / IDLE_TLS
    sessions[0].expect("NOOP", 250, "2.0.0")  # still a working session, over TLS
    if not sanitized():
        assert per_session < MAX_KIB_PER_TLS_SESSION, f"{per_session:.1f} KiB per idle TLS session"
    for wire in sessions + warm:
        wire.close()

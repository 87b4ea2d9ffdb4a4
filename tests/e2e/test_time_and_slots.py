"""Time and slots cannot be held hostage (issue 15, items 6, 7 and 9): total deadlines for DATA
and for one command line, a share of the sessions kept for known senders, a per-IP cap on the
HTTPS port, and refusals on an implicit-TLS listener sent over TLS.

Every drip loop is bounded in bytes and in time; every client talks to loopback only.
"""
from __future__ import annotations

import socket
import ssl
import time

import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT, free_port
from http_client import Api, tls_context, wait_for_https
from smtp_wire import ServerClosed, SmtpWire

SENDER = "alice@example.com"
DRIP_INTERVAL_S = 0.5
DRIP_MAX_S = 12.0  # the deadlines below are 3 s: a fixed server answers long before this


def drip_until_answered(wire: SmtpWire, byte: bytes = b"x") -> tuple[bytes, float]:
    """Sends one byte every DRIP_INTERVAL_S (so the idle timer never fires) until the server
    answers or closes; returns what it said and after how long. Bounded by DRIP_MAX_S."""
    start = time.monotonic()
    while time.monotonic() - start < DRIP_MAX_S:
        try:
            wire.send(byte)
        except OSError:
            break
        try:
            wire._fill(time.monotonic() + DRIP_INTERVAL_S)
            break  # the server said something
        except socket.timeout:
            continue
        except ServerClosed:
            break
    return wire.buffer, time.monotonic() - start


# --- item 6: total deadlines --------------------------------------------------------------------
@pytest.mark.pw_config(smtp={"data_deadline_s": 3})
def test_a_client_dripping_data_gets_421_at_the_deadline_and_nothing_is_queued(node):
    wire = node.session(source=IP_SENDER_ADDR)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    wire.send(b"Subject: drip\r\n\r\n")
    said, elapsed = drip_until_answered(wire)
    assert said.startswith(b"421 4.4.2 "), f"after {elapsed:.1f} s of dripping: {said!r}"
    assert 2.0 <= elapsed <= 8.0, f"421 after {elapsed:.1f} s, deadline 3 s"
    wire.buffer = b""
    wire.assert_closed()
    # Even the end of the data after the deadline is not accepted: nothing queued.
    time.sleep(0.5)
    assert node.spool_count() == 0
    assert "phase=data kind=deadline" in node.log_text()


@pytest.mark.pw_config(smtp={"command_deadline_s": 3})
def test_a_client_dripping_a_command_line_gets_421_at_the_deadline(node):
    wire = node.session(source=IP_SENDER_ADDR)
    wire.send(b"NOOP ")
    said, elapsed = drip_until_answered(wire)
    assert said.startswith(b"421 4.4.2 "), f"after {elapsed:.1f} s of dripping: {said!r}"
    assert 2.0 <= elapsed <= 8.0, f"421 after {elapsed:.1f} s, deadline 3 s"
    wire.buffer = b""
    wire.assert_closed()
    assert "phase=command kind=deadline" in node.log_text()


@pytest.mark.pw_config(smtp={"command_deadline_s": 3})
def test_whole_commands_each_within_the_deadline_keep_the_session(node):
    wire = node.session(source=IP_SENDER_ADDR)
    for _ in range(5):  # 5 s in all, more than the deadline of one line
        time.sleep(1)
        wire.expect("NOOP", 250, "2.0.0")
    wire.quit()


# --- item 7: sessions kept for known senders ----------------------------------------------------
@pytest.mark.pw_config(server={"max_sessions": 20, "reserved_for_known_percent": 50})
def test_unknown_clients_cannot_take_the_sessions_kept_for_ip_users(node):
    # Ten unknown addresses fill the unknown share (20 - 50 % = 10) with idle sessions.
    time.sleep(0.5)  # the readiness probe's session (an unknown client) has ended
    idle = []
    for n in range(10):
        wire = SmtpWire(node.port, source=f"127.0.0.{100 + n}")
        wire.check(wire.greeting(), 220, where="as greeting of an unknown client")
        idle.append(wire)
    refused = SmtpWire(node.port, source="127.0.0.120")
    line = refused.read_line()
    if not line.startswith(b"421 4.3.2 "):
        refused.fail(f"an unknown client over the unknown share got {line!r}")
    refused.assert_closed()
    # The customer's smarthost (an IP user) is still served, and can send.
    known = []
    for _ in range(3):
        wire = node.session(source=IP_SENDER_ADDR)
        known.append(wire)
    reply = known[0].submit(SENDER, [RECIPIENT], b"Subject: through\r\n\r\nbody\r\n")
    known[0].check(reply, 250, "2.0.0", where="for the known sender's message")
    assert "reason=reserved_for_known client=127.0.0.120" in node.log_text()
    # A freed unknown place is given to an unknown client again.
    idle.pop().quit()
    deadline = time.monotonic() + 5
    while True:
        wire = SmtpWire(node.port, source="127.0.0.120")
        line = wire.read_line()
        if line.startswith(b"220 "):
            idle.append(wire)
            break
        wire.close()
        assert time.monotonic() < deadline, "the freed unknown place was not reused"
        time.sleep(0.1)
    for wire in idle + known:
        wire.quit()


def start_https(make_node, http_overrides: dict):
    port = free_port()
    node = make_node({"http": {"listen": f"127.0.0.1:{port}", **http_overrides}})
    node.provision()
    node.start()
    wait_for_https(port)
    return node, port


def tls_connection(port: int, source: str) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    return tls_context().wrap_socket(raw, server_hostname=None)


def test_the_https_port_caps_connections_per_ip(make_node):
    node, port = start_https(make_node, {"max_connections_per_ip": 3})
    held = [tls_connection(port, "127.0.0.30") for _ in range(3)]
    # The fourth from the same address is closed at once, without a handshake.
    raw = socket.create_connection(("127.0.0.1", port), timeout=10,
                                   source_address=("127.0.0.30", 0))
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        tls_context().wrap_socket(raw, server_hostname=None).recv(1)
    raw.close()
    # Another address is served.
    answer = Api(port, source="127.0.0.31").request("GET", "/api/v1/openapi.json")
    assert answer.status == 200
    assert "reason=max_connections_per_ip client=127.0.0.30" in node.log_text()
    # A closed connection frees its place.
    held.pop().close()
    deadline = time.monotonic() + 5
    while True:
        try:
            held.append(tls_connection(port, "127.0.0.30"))
            break
        except (ssl.SSLError, OSError):
            assert time.monotonic() < deadline, "a closed HTTPS connection did not free its place"
            time.sleep(0.1)
    for conn in held:
        conn.close()


# --- item 9: refusals on the implicit-TLS port go over TLS ---------------------------------------
def test_a_refusal_on_the_implicit_tls_port_is_read_over_tls(make_node):
    tls_port = free_port()
    node = make_node({"server": {"listen_tls": [f"127.0.0.1:{tls_port}"],
                                 "max_sessions_per_ip": 2}})
    node.provision()
    node.start()
    held = []
    for _ in range(2):
        conn = tls_connection(tls_port, "127.0.0.40")
        conn.settimeout(10)
        assert conn.recv(4096).startswith(b"220 ")
        held.append(conn)
    refused = tls_connection(tls_port, "127.0.0.40")  # the handshake succeeds
    refused.settimeout(10)
    data = b""
    try:
        while not data.endswith(b"\r\n"):
            chunk = refused.recv(4096)
            if not chunk:
                break
            data += chunk
    except ssl.SSLError as e:
        pytest.fail(f"the refusal was not readable over TLS: {e!r} after {data!r}")
    assert data == (b"421 Too many concurrent SMTP connections from this IP address; "
                    b"please try again later.\r\n"), data
    refused.close()
    for conn in held:
        conn.close()

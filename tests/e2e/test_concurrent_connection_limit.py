"""At most server.max_sessions_per_ip sessions from one client IP (F-CONC): the next one gets the
exact 421 line from seed 001 and is closed; other IPs are unaffected; a freed slot is reusable.
"""
import pytest

from conftest import wait_until
from smtp_wire import SmtpWire

TOO_MANY = (b"421 Too many concurrent SMTP connections from this IP address; "
            b"please try again later.\r\n")
CLIENT = "127.0.0.1"


def open_sessions(node, count, source=CLIENT):
    sessions = []
    for _ in range(count):
        wire = SmtpWire(node.port, source=source)
        wire.check(wire.greeting(), 220, where="as greeting")
        sessions.append(wire)
    return sessions


def assert_refused(node, source=CLIENT):
    wire = SmtpWire(node.port, source=source)
    line = wire.read_line()
    if line != TOO_MANY:
        wire.fail(f"expected exactly {TOO_MANY!r}, got {line!r}")
    wire.assert_closed()


def test_eleventh_connection_from_one_ip_is_refused_with_exact_text(node):
    sessions = open_sessions(node, 10)
    # Every one of the ten is a working session.
    for wire in sessions:
        wire.expect("NOOP", 250, "2.0.0")
    assert_refused(node)
    # Refused once, refused again: the refusal did not free or leak a slot.
    assert_refused(node)
    # Another IP has its own count.
    others = open_sessions(node, 2, source="127.0.0.6")
    for wire in others + sessions:
        wire.quit()


def test_closing_a_session_frees_its_slot(node):
    sessions = open_sessions(node, 10)
    assert_refused(node)
    sessions.pop().quit()

    def eleventh_is_greeted():
        wire = SmtpWire(node.port, source=CLIENT)
        line = wire.read_line()
        if line.startswith(b"220 "):
            sessions.append(wire)
            return True
        wire.close()
        return False

    assert wait_until(eleventh_is_greeted, timeout=3.0, interval=0.1), "slot was not freed"
    assert_refused(node)
    # A client that vanishes without QUIT frees its slot too.
    sessions.pop().close()
    assert wait_until(eleventh_is_greeted, timeout=3.0, interval=0.1), "slot was not freed"
    for wire in sessions:
        wire.quit()


@pytest.mark.pw_config(server={"max_sessions_per_ip": 3})
def test_limit_follows_config(node):
    sessions = open_sessions(node, 3)
    assert_refused(node)
    for wire in sessions:
        wire.quit()


@pytest.mark.pw_config(server={"max_sessions": 3})
def test_total_session_limit_refuses_with_421(node):
    sessions = [open_sessions(node, 1, source=f"127.0.0.{11 + i}")[0] for i in range(3)]
    refused = SmtpWire(node.port, source="127.0.0.14")
    line = refused.read_line()
    if not line.startswith(b"421 "):
        refused.fail(f"expected a 421 over max_sessions, got {line!r}")
    refused.assert_closed()
    sessions.pop().quit()

    def fourth_is_greeted():
        wire = SmtpWire(node.port, source="127.0.0.14")
        if wire.read_line().startswith(b"220 "):
            sessions.append(wire)
            return True
        wire.close()
        return False

    assert wait_until(fourth_is_greeted, timeout=3.0, interval=0.1), "slot was not freed"
    for wire in sessions:
        wire.quit()

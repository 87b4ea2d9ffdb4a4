"""SIGTERM stops the server cleanly: exit status 0, within server.shutdown_grace_s (2 s in these
tests) even with idle clients connected, and an in-flight message is either finished (250 and
spooled) or not accepted at all (no 250, nothing spooled): never half of each.
"""
import socket
import time

import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT
from smtp_wire import message

GRACE_S = 2


def test_sigterm_when_idle_exits_0_quickly(node):
    start = time.monotonic()
    assert node.stop() == 0
    assert time.monotonic() - start < 5
    assert not node.sanitizer_reports()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", node.port), timeout=2).close()


def test_sigterm_with_idle_sessions_exits_0_within_the_grace_time(node):
    sessions = [node.session(source=IP_SENDER_ADDR) for _ in range(3)]
    sessions[0].expect("MAIL FROM:<news@example.com>", 250, "2.1.0")
    start = time.monotonic()
    assert node.stop() == 0
    assert time.monotonic() - start < GRACE_S + 5, "shutdown took longer than the grace time"
    for wire in sessions:
        # Each client is told (421) or just disconnected; none is left hanging.
        rest = wire.read_until_closed(timeout=5)
        for line in rest.splitlines():
            assert line.startswith(b"421 4."), f"unexpected at shutdown: {rest!r}"
        wire.close()


def test_message_in_flight_at_sigterm_is_finished_or_not_accepted(node):
    wire = node.session(source=IP_SENDER_ADDR)
    wire.expect("MAIL FROM:<news@example.com>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    sent = message("in flight at shutdown", sender="news@example.com")
    wire.send(sent[:40])
    node.proc.send_signal(15)
    time.sleep(0.3)
    accepted_id = None
    try:
        wire.send(sent[40:] + b".\r\n")
    except OSError:
        pass  # already disconnected: then nothing may be spooled
    else:
        reply = wire.reply_or_close(timeout=GRACE_S + 3)
        if reply is not None and reply.code == 250:
            accepted_id = reply.queue_id()
        elif reply is not None:
            wire.check(reply, 421, where="to data sent during shutdown")
    wire.close()
    assert node.stop() == 0
    if accepted_id is None:
        assert node.spool_count() == 0, "spooled a message the client was not told about"
    else:
        assert node.spool_ids() == [accepted_id]
        assert node.spooled(accepted_id).raw.endswith(sent)


def test_restart_on_the_same_data_dir_and_port(node):
    wire = node.session(source=IP_SENDER_ADDR)
    first = wire.submit("news@example.com", [RECIPIENT], message("before restart")).queue_id()
    wire.quit()
    cert = (node.data_dir / "tls" / "cert.pem").read_bytes()
    assert node.stop() == 0
    node.start()
    wire = node.session(source=IP_SENDER_ADDR)
    second = wire.submit("news@example.com", [RECIPIENT], message("after restart")).queue_id()
    wire.quit()
    assert sorted(node.spool_ids()) == sorted([first, second])
    # The certificate made on first start is kept, not made anew.
    assert (node.data_dir / "tls" / "cert.pem").read_bytes() == cert
    assert (node.data_dir / "tls" / "key.pem").is_file()
    assert (node.data_dir / "postwarden.db").is_file()

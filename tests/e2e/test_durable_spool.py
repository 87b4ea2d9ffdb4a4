"""Nothing accepted is lost and nothing unaccepted is kept: a message is in spool/incoming/ once
its 250 is sent (even if the server is killed right after), never before, and a client that
vanishes mid-DATA leaves no file behind and no session slot taken.
"""
import socket
import struct
import threading

import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT, parse_spool_file, wait_until
from smtp_wire import SmtpWire, message

SENDER = "news@example.com"


def greeted_session(node, source=IP_SENDER_ADDR, timeout=5.0):
    """A session with EHLO done; retries while the IP's slots are still held by sessions whose
    clients just left (the server may take a moment to notice)."""
    def attempt():
        wire = SmtpWire(node.port, source=source)
        greeting = wire.read_reply()
        if greeting.code == 220:
            return wire
        wire.close()
        return None
    wire = wait_until(attempt, timeout=timeout, interval=0.1)
    assert wire is not None, f"no 220 greeting for {source} within {timeout} s"
    wire.ehlo()
    return wire


def start_data(node, source=IP_SENDER_ADDR):
    wire = greeted_session(node, source)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    return wire


def reset_close(wire):
    """Close with a TCP RST instead of a FIN, as a crashing client would."""
    wire.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    wire.close()


@pytest.mark.pw_config(server={"max_sessions_per_ip": 2})
@pytest.mark.parametrize("how", ["fin", "rst"])
def test_client_disconnecting_during_data_leaves_nothing(node, how):
    for _ in range(3):
        wire = start_data(node)
        # A good part of a message, but never its end.
        wire.send(message("cut off", body="\n".join("w" * 70 for _ in range(500))))
        wire.send(b"\r\n.")
        if how == "rst":
            reset_close(wire)
        else:
            wire.close()
    # Partial data may only ever have lived in spool/tmp/, and is gone once the session is.
    assert wait_until(lambda: not node.tmp_files(), timeout=5), f"left in tmp/: {node.tmp_files()}"
    assert node.spool_count() == 0
    # The sessions are gone too: both slots of this IP are free again.
    def both_slots_free():
        wires = [SmtpWire(node.port, source=IP_SENDER_ADDR) for _ in range(2)]
        ok = all(w.read_line().startswith(b"220 ") for w in wires)
        for w in wires:
            w.close()
        return ok
    assert wait_until(both_slots_free, timeout=5, interval=0.2), "session slots not released"
    assert node.spool_count() == 0
    assert node.running()


def test_message_is_on_disk_when_250_is_sent_even_after_kill_9(node):
    wire = start_data(node)
    sent = message("durable", sender=SENDER)
    wire.send(sent + b".\r\n")
    queue_id = wire.read_reply().queue_id()
    node.kill9()
    wire.close()
    spooled = node.spooled(queue_id)
    assert spooled.envelope["id"] == queue_id
    assert spooled.envelope["mail_from"] == SENDER
    assert spooled.envelope["rcpt_to"] == [RECIPIENT]
    assert spooled.raw.endswith(sent)
    assert spooled.raw.startswith(b"Received: ")

    # The node starts again on the same data dir, keeps the message, and goes on accepting.
    node.start()
    assert queue_id in node.spool_ids()
    wire = node.session(source=IP_SENDER_ADDR)
    second = wire.submit(SENDER, [RECIPIENT], message("after restart")).queue_id()
    wire.quit()
    assert second != queue_id
    assert sorted(node.spool_ids()) == sorted([queue_id, second])
    assert node.spooled(queue_id).raw.endswith(sent)


def test_concurrent_sessions_spool_every_message_once(node):
    per_client, clients = 5, 6
    results: dict[int, list[str]] = {}
    errors: list[str] = []

    def client(index: int):
        try:
            wire = node.session(source=IP_SENDER_ADDR)
            ids = []
            for n in range(per_client):
                ids.append(wire.submit(SENDER, [f"c{index}m{n}@example.net"],
                                       message(f"client {index} message {n}")).queue_id())
            wire.quit()
            results[index] = ids
        except Exception as e:  # reported below with the others
            errors.append(f"client {index}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, "\n".join(errors)
    all_ids = [queue_id for ids in results.values() for queue_id in ids]
    assert len(all_ids) == per_client * clients
    assert len(set(all_ids)) == len(all_ids), "queue ids repeat"
    assert sorted(node.spool_ids()) == sorted(all_ids)
    for index, ids in results.items():
        for n, queue_id in enumerate(ids):
            spooled = parse_spool_file(node.incoming / queue_id)
            assert spooled.envelope["rcpt_to"] == [f"c{index}m{n}@example.net"]
            assert f"Subject: client {index} message {n}\r\n".encode() in spooled.raw
    assert node.tmp_files() == []


class LoadGenerator:
    """Clients sending distinct messages as fast as they can until the server goes away.
    Records which messages were acknowledged with 250 (and under which queue id)."""

    def __init__(self, node, clients: int = 4, body_lines: int = 300):
        self.node = node
        self.clients = clients
        self.body_lines = body_lines
        self.sent: dict[str, bytes] = {}  # subject -> message bytes
        self.acked: dict[str, str] = {}  # queue id -> subject
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True)
                        for i in range(clients)]

    def client(self, index: int) -> None:
        n = 0
        wire = None
        try:
            wire = self.node.session(source=IP_SENDER_ADDR)
            while True:
                subject = f"load {index}-{n}"
                sent = message(subject, body="\n".join(f"{subject} line {i} " + "x" * 60
                                                       for i in range(self.body_lines)))
                with self.lock:
                    self.sent[subject] = sent
                reply = wire.submit(SENDER, [RECIPIENT], sent)
                queue_id = reply.queue_id()
                with self.lock:
                    self.acked[queue_id] = subject
                n += 1
        except (AssertionError, OSError):
            return  # the server went away
        finally:
            if wire is not None:
                wire.close()

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(30)
            assert not thread.is_alive(), "a load client hung"

    def check_spool(self) -> None:
        """Every acknowledged message is in incoming/, and every file there is whole."""
        on_disk = set(self.node.spool_ids())
        missing = set(self.acked) - on_disk
        assert not missing, f"acknowledged but not in incoming/: {sorted(missing)}"
        for queue_id in on_disk:
            spooled = parse_spool_file(self.node.incoming / queue_id)
            assert spooled.envelope["id"] == queue_id
            subject = next(
                (s for s in self.sent if f"Subject: {s}\r\n".encode() in spooled.raw), None)
            assert subject is not None, f"{queue_id}: not one of the messages sent"
            assert spooled.raw.endswith(self.sent[subject]), f"{queue_id}: message incomplete"
            if queue_id in self.acked:
                assert self.acked[queue_id] == subject


def test_kill_9_under_load_loses_nothing_acknowledged_and_leaves_no_partial_file(node):
    load = LoadGenerator(node)
    load.start()
    assert wait_until(lambda: len(load.acked) >= 100, timeout=30), "load did not get going"
    node.kill9()
    load.join()
    load.check_spool()
    print(f"{len(load.acked)} acknowledged, {node.spool_count()} in incoming/ at kill -9")
    # After a restart the spool is the same, and the server accepts again.
    before = sorted(node.spool_ids())
    node.start()
    assert sorted(node.spool_ids()) == before
    wire = node.session(source=IP_SENDER_ADDR)
    wire.submit(SENDER, [RECIPIENT], message("after crash")).queue_id()
    wire.quit()


def test_sigterm_under_load_exits_0_and_keeps_every_acknowledged_message(node):
    load = LoadGenerator(node)
    load.start()
    assert wait_until(lambda: len(load.acked) >= 100, timeout=30), "load did not get going"
    assert node.stop() == 0
    load.join()
    load.check_spool()
    assert set(node.spool_ids()) == set(load.acked), (
        "after a clean shutdown every spooled message was acknowledged")

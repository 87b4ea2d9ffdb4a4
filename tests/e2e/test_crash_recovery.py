"""Crash recovery under load (F-QUEUE, F-DELIVER): 2,000 distinct messages from many sessions
while the gateway, relaying everything to smtp-sink, is killed with SIGKILL several times at
random moments and restarted on the same data dir. Senders retry every message that did not get
its 250. In the end every message that got a 250 has reached the sink at least once, whole;
duplicates are counted and split by cause: a message resent by its sender (at most one per
session per kill), or one in flight to the sink (at most one per delivery connection per kill).
A delivery that the message log had not committed when the kill came is not repeated: the outcome
journal holds it.
"""
import random
import re
import socket
import subprocess
import threading
import time

from conftest import free_port, wait_until, write_config
from delivery_fixtures import (RELAY_ADDR, ROUTE_ADDR, SENDER_MX_ADDR, dns, make_gateway,
                               mx_port, sinks)
from smtp_wire import ServerClosed, SmtpWire

__all__ = ["dns", "make_gateway", "mx_port", "sinks"]  # fixtures used by name

MESSAGES = 2000
SENDERS = 16
KILLS = 4
SOURCE = "127.0.0.2"  # the IP sender of sender.test (no AUTH)
LOAD_TIMEOUT_S = 240  # every message acknowledged by then
DRAIN_TIMEOUT_S = 120  # and at the sink by then
CONNECTIONS = 10  # delivery connections to the sink at once
# A kill duplicates what it catches in flight:
# - a message spooled whose 250 the sender never read: at most one per sender session;
# - a message the sink took whose 250 the gateway never read: one per delivery connection;
# A delivery the gateway made but had not committed to its message log yet is not repeated:
# the outcome journal has it, and the next start writes it to the log before delivering.
MAX_RESUBMITTED_PER_KILL = SENDERS
MAX_IN_FLIGHT_PER_KILL = CONNECTIONS
LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) ")
DELIVERED = re.compile(r" event=delivered id=(\S+) ")

SEQ = re.compile(rb"^X-Crash-Seq: (\d+)$", re.M)
QUEUE_ID = re.compile(rb"\(postwarden\) with \S+ id ([A-Za-z0-9]+)")


def crash_message(seq: int) -> bytes:
    lines = ["From: <load@sender.test>", f"To: <sink{seq % 50}@dest.test>",
             f"Subject: crash load {seq}", f"Message-ID: <crash.{seq}@e2e.test>",
             f"X-Crash-Seq: {seq}", "", *(f"{seq} line {n} " + "z" * 64 for n in range(16)),
             f"end-of-message {seq}"]
    return "\r\n".join(lines).encode() + b"\r\n"


class Senders:
    """SENDERS threads taking sequence numbers from a shared pool; a message goes back into the
    pool unless it got its 250. Sessions carry a random number of messages each."""

    def __init__(self, gateway, messages: int = MESSAGES):
        self.gateway = gateway
        self.messages = messages
        self.pending = list(range(messages))
        random.shuffle(self.pending)
        self.acked: dict[int, str] = {}  # seq -> queue id
        self.attempts = 0
        self.failures = 0  # sessions cut short (kill -9), refused, or timed out
        self.permanent: list[str] = []  # 5xx replies: never acceptable for these messages
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(SENDERS)]

    def take(self):
        with self.lock:
            return self.pending.pop() if self.pending else None

    def give_back(self, seq):
        with self.lock:
            self.pending.append(seq)
            self.failures += 1

    def run(self):
        while not self.done.is_set():
            seq = self.take()
            if seq is None:
                if len(self.acked) >= self.messages:
                    return
                time.sleep(0.05)  # others may still give some back
                continue
            wire = None
            try:
                wire = SmtpWire(self.gateway.port, source=SOURCE, timeout=10)
                if wire.read_reply().code != 220:
                    raise ConnectionError("no 220")
                wire.ehlo()
                for _ in range(random.randint(1, 20)):
                    self.send_one(wire, seq)
                    seq = self.take()
                    if seq is None:
                        break
                if seq is not None:
                    with self.lock:
                        self.pending.append(seq)  # not tried on this session
                    seq = None
                wire.cmd("QUIT")
            except (AssertionError, OSError, ServerClosed, ConnectionError, socket.timeout):
                if seq is not None:
                    self.give_back(seq)
                time.sleep(0.05)
            finally:
                if wire is not None:
                    wire.close()

    def send_one(self, wire, seq):
        with self.lock:
            self.attempts += 1
        wire.transcript.clear()  # keep memory flat over long sessions
        reply = wire.cmd("MAIL FROM:<load@sender.test>")
        if reply.code != 250:
            raise self.refused(reply, seq)
        reply = wire.cmd(f"RCPT TO:<sink{seq % 50}@dest.test>")
        if reply.code != 250:
            raise self.refused(reply, seq)
        reply = wire.cmd("DATA")
        if reply.code != 354:
            raise self.refused(reply, seq)
        wire.send(crash_message(seq) + b".\r\n")
        reply = wire.read_reply()
        if reply.code != 250:
            raise self.refused(reply, seq)
        queue_id = reply.queue_id()
        with self.lock:
            self.acked[seq] = queue_id

    def refused(self, reply, seq):
        if 500 <= reply.code < 600:
            with self.lock:
                self.permanent.append(f"{seq}: {reply.line}")
        return ConnectionError(reply.line)


def sink_contents(sink) -> tuple[dict[int, list[str]], int]:
    """seq -> the gateway queue ids of its complete copies at the sink, and the number of
    incomplete dumps."""
    copies: dict[int, list[str]] = {}
    incomplete = 0
    for dump in sink.dumps():
        match = SEQ.search(dump)
        if not match:
            incomplete += 1
            continue
        seq = int(match.group(1))
        if f"\nend-of-message {seq}\n".encode() not in dump:
            incomplete += 1
            continue
        queue_id = QUEUE_ID.search(dump)
        copies.setdefault(seq, []).append(queue_id.group(1).decode() if queue_id else "?")
    return copies, incomplete


def log_seconds(stamp: str) -> float:
    return time.mktime(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) + float(stamp[19:])


def deliveries_by_run(gateway) -> list[tuple[dict[str, tuple[float, int]], float]]:
    """For each start of the gateway: queue id -> (time of its first `event=delivered` line,
    number of such lines), and the time of the last line that run wrote (for a killed run:
    just before the kill)."""
    runs = []
    for log in gateway.logs:
        delivered, last = {}, 0.0
        for line in log.read_text(errors="replace").splitlines():
            stamp = LOG_TIME.match(line)
            if not stamp:
                continue
            last = log_seconds(stamp.group(1))
            match = DELIVERED.search(line)
            if match:
                at, count = delivered.get(match.group(1), (last, 0))
                delivered[match.group(1)] = (at, count + 1)
        runs.append((delivered, last))
    return runs


def test_kill_9_under_load_loses_no_acknowledged_message(make_gateway, sinks):
    sink_port = free_port()
    sink = sinks(RELAY_ADDR, sink_port)
    gateway = make_gateway(
        {"server": {"max_sessions_per_ip": 100, "max_sessions": 300, "shutdown_grace_s": 2},
         "delivery": {"retry_min_s": 1, "retry_max_s": 2,
                      "max_connections_per_destination": CONNECTIONS}},
        serve_args=["--relay-host", f"{RELAY_ADDR}:{sink_port}"])
    senders = Senders(gateway)
    # Kill when the number of acknowledged messages passes random points of the load.
    kill_points = sorted(random.sample(range(150, MESSAGES - 150), KILLS))
    kills = []
    started = time.monotonic()
    for thread in senders.threads:
        thread.start()
    try:
        for point in kill_points:
            reached = wait_until(lambda: len(senders.acked) >= point,
                                 LOAD_TIMEOUT_S - (time.monotonic() - started), interval=0.01)
            assert reached, f"load stalled at {len(senders.acked)} acknowledged before kill {point}"
            time.sleep(random.uniform(0, 0.2))
            acked_at_kill = len(senders.acked)
            gateway.kill9()
            time.sleep(random.uniform(0, 0.3))
            gateway.start()
            kills.append(acked_at_kill)
        finished = wait_until(lambda: len(senders.acked) >= MESSAGES,
                              LOAD_TIMEOUT_S - (time.monotonic() - started), interval=0.1)
    finally:
        senders.done.set()
        for thread in senders.threads:
            thread.join(15)
    load_s = time.monotonic() - started
    assert not senders.permanent, f"valid messages refused for good: {senders.permanent[:10]}"
    assert finished, f"only {len(senders.acked)} of {MESSAGES} acknowledged in {load_s:.0f} s"

    # Every acknowledged message reaches the sink, whole, within a bounded time.
    def all_arrived():
        copies, _ = sink_contents(sink)
        return all(seq in copies for seq in senders.acked)
    arrived = wait_until(all_arrived, DRAIN_TIMEOUT_S, interval=0.5)
    copies, incomplete = sink_contents(sink)
    missing = sorted(set(senders.acked) - set(copies))
    duplicates = sum(len(ids) - 1 for ids in copies.values())
    # Two kinds: the gateway delivered one queue id twice (killed after the sink's 250, before
    # its log knew), or a sender sent again what the gateway had spooled but could not
    # acknowledge before it died (two queue ids for one message).
    redelivered = sum(len(ids) - len(set(ids)) for ids in copies.values())
    resubmitted = duplicates - redelivered
    print(f"\n{MESSAGES} messages, {senders.attempts} submissions, {senders.failures} cut short; "
          f"kill -9 at {kills} acknowledged; load {load_s:.1f} s; at the sink: "
          f"{len(copies)} distinct, {duplicates} duplicates ({redelivered} redelivered by the "
          f"gateway, {resubmitted} resubmitted by senders), {incomplete} incomplete dumps")
    assert arrived and not missing, (
        f"{len(missing)} acknowledged messages never reached the sink, e.g. "
        f"{[(seq, senders.acked[seq]) for seq in missing[:10]]}")
    assert set(copies) == set(range(MESSAGES)), "the sink got messages nobody sent"
    assert resubmitted <= KILLS * MAX_RESUBMITTED_PER_KILL, (
        f"{resubmitted} messages spooled twice for {KILLS} kills of {SENDERS} sessions")

    # Each queue id delivered twice must have been caught by a kill: either in flight (no
    # delivery logged before the kill) or delivered in the last moments before it.
    runs = deliveries_by_run(gateway)
    in_flight, lags, unexplained = 0, [], []
    for ids in copies.values():
        for queue_id in {q for q in ids if ids.count(q) > 1}:
            logged = [(n, delivered[queue_id]) for n, (delivered, _) in enumerate(runs)
                      if queue_id in delivered]
            if any(runs[n][0][queue_id][1] > 1 for n, _ in logged):
                unexplained.append(queue_id)  # delivered twice by one run: no kill between
            elif len(logged) > 1:
                n, (at, _) = logged[0]
                lags.append(runs[n][1] - at)  # delivered and logged, yet sent again after a kill
            else:
                in_flight += 1  # the sink took it, the gateway died before reading its 250
    print(f"duplicates: {100 * duplicates / MESSAGES:.1f} % of the messages; redelivered: "
          f"{in_flight} in flight at a kill, {len(lags)} delivered but not yet in the log "
          f"(up to {max(lags, default=0) * 1000:.0f} ms before the kill)")
    assert not unexplained, f"delivered twice without a kill in between: {unexplained[:10]}"
    assert in_flight <= KILLS * MAX_IN_FLIGHT_PER_KILL, (
        f"{in_flight} deliveries in flight at {KILLS} kills of {CONNECTIONS} connections")
    # A delivery the gateway saw succeed is in its outcome journal at once, so the next start
    # does not send it again even when the message log had not committed it; only a kill in the
    # microseconds between the 250 and the journal write can do that (at most one per kill).
    assert len(lags) <= KILLS, (
        f"{len(lags)} messages delivered (and logged) before a kill were sent again after it")
    assert duplicates <= KILLS * (MAX_RESUBMITTED_PER_KILL + MAX_IN_FLIGHT_PER_KILL), (
        f"{duplicates} of {MESSAGES} messages arrived twice or more")

    # The gateway agrees: nothing left to do, every acknowledged queue id delivered.
    gateway.wait_queue_empty(timeout=30)
    assert gateway.spool_empty(timeout=10), f"{gateway.spool_count()} files left in the spool"
    delivered = {row["id"] for row in gateway.search("--status", "delivered", "--limit", "100000")}
    not_delivered = [q for q in senders.acked.values() if q not in delivered]
    assert not not_delivered, f"acknowledged but not logged as delivered: {not_delivered[:10]}"
    assert gateway.tmp_files() == []


BACKLOG = 1000
KILL_AFTER = 300  # messages at the sink


def test_kill_9_in_the_middle_of_a_backlog_burst_loses_nothing(make_gateway, sinks):
    """A backlog of 1,000 queued messages goes out in one burst when delivery is switched on,
    and the gateway is killed in the middle of it. After the next start every message reaches
    the sink; what is delivered twice is either in flight at the kill (one per connection at
    most) or a delivery the message log had not committed yet (counted and printed)."""
    sink_port = free_port()
    sink = sinks(RELAY_ADDR, sink_port)
    gateway = make_gateway(
        {"server": {"max_sessions_per_ip": 50},
         "delivery": {"enabled": False, "retry_min_s": 1, "retry_max_s": 2,
                      "max_connections_per_destination": CONNECTIONS}},
        serve_args=["--relay-host", f"{RELAY_ADDR}:{sink_port}"])
    gateway.cli("user", "add", "--ip", "127.0.0.1/32", "--owner", "sender.test")
    time.sleep(1.2)  # the running gateway reloads its senders
    load = subprocess.run(
        ["/usr/sbin/smtp-source", "-s", "10", "-m", str(BACKLOG), "-l", "2000",
         "-f", "load@sender.test", "-t", "sink@dest.test", f"127.0.0.1:{gateway.port}"],
        capture_output=True, timeout=120)
    assert load.returncode == 0, load.stderr.decode(errors="replace")[-2000:]
    assert gateway.stop() == 0
    accepted = set(gateway.spool_ids())
    assert len(accepted) == BACKLOG

    gateway.config["delivery"]["enabled"] = True
    write_config(gateway.config_path, gateway.config)
    gateway.start()  # the whole backlog goes out at once
    assert wait_until(lambda: len(sink.dumps()) >= KILL_AFTER, 60, interval=0.01), (
        "the backlog did not go out")
    gateway.kill9()
    at_kill = len(sink.dumps())
    logged = deliveries_by_run(gateway)[-1][0]
    gateway.start()

    def queue_ids_at_sink():
        return [m.group(1).decode() for m in map(QUEUE_ID.search, sink.dumps()) if m]
    assert wait_until(lambda: set(queue_ids_at_sink()) >= accepted, DRAIN_TIMEOUT_S, 0.5), (
        f"{len(accepted - set(queue_ids_at_sink()))} accepted messages never reached the sink")
    gateway.wait_queue_empty(timeout=30)
    delivered = queue_ids_at_sink()
    twice = {q for q in delivered if delivered.count(q) > 1}
    logged_twice = twice & set(logged)
    print(f"\nat the kill: {at_kill} at the sink, {len(logged)} logged as delivered; after the "
          f"restart {len(twice)} delivered again ({len(logged_twice)} of them had been logged "
          f"as delivered before the kill)")
    assert set(delivered) == accepted
    # Logged as delivered means journaled (the same instant): the next start knows it.
    assert len(logged_twice) <= 1, f"{sorted(logged_twice)[:10]} delivered again after the kill"
    assert len(twice - logged_twice) <= CONNECTIONS, (
        f"{len(twice - logged_twice)} messages delivered twice that were neither in flight at "
        f"the kill nor logged as delivered before it ({CONNECTIONS} delivery connections)")
    assert len(twice) <= 0.25 * BACKLOG, f"{len(twice)} of {BACKLOG} delivered twice"
    assert gateway.spool_empty()


BOUNCES = 1000
BOUNCE_KILLS = 5
DSN_OF = re.compile(rb"^X-Postwarden-Queue-ID: (\S+)", re.M)


def test_kill_9_never_loses_the_dsn_of_a_bounced_message(make_gateway, sinks, mx_port):
    """Every acknowledged message is refused for good by the recipient's server (a route to an
    smtp-sink that answers RCPT with 500), so each must come back to its sender as a DSN, sent
    to the sender domain's MX (another smtp-sink, found in DNS), whatever kill -9 interrupts.
    One blocking thread and no log batching widen the window between "the last recipient is
    final in the log" and "the DSN is in the spool"."""
    route_port = free_port()
    sinks(ROUTE_ADDR, route_port, "-f", "RCPT")  # every recipient refused: 500 5.3.0
    sender_mx = sinks(SENDER_MX_ADDR, mx_port)
    gateway = make_gateway(
        {"server": {"max_sessions_per_ip": 100, "max_sessions": 300, "blocking_threads": 1},
         "delivery": {"retry_min_s": 1, "retry_max_s": 2}, "log": {"batch_delay_ms": 0}},
        start=False)
    gateway.cli("domain", "add", "dest.test")
    gateway.cli("domain", "set", "dest.test", f"route={ROUTE_ADDR}:{route_port}")
    gateway.start()
    senders = Senders(gateway, BOUNCES)
    for thread in senders.threads:
        thread.start()
    try:
        for point in sorted(random.sample(range(100, BOUNCES - 100), BOUNCE_KILLS)):
            assert wait_until(lambda: len(senders.acked) >= point, LOAD_TIMEOUT_S, 0.01), (
                f"load stalled at {len(senders.acked)} acknowledged")
            time.sleep(random.uniform(0, 0.2))
            gateway.kill9()
            gateway.start()
        finished = wait_until(lambda: len(senders.acked) >= BOUNCES, LOAD_TIMEOUT_S, 0.1)
    finally:
        senders.done.set()
        for thread in senders.threads:
            thread.join(15)
    assert finished, f"only {len(senders.acked)} of {BOUNCES} acknowledged"
    acked = set(senders.acked.values())

    def returned():
        return {m.group(1).decode() for m in map(DSN_OF.search, sender_mx.dumps()) if m}
    # Once the queue is empty every DSN that exists has been delivered; a few seconds more
    # for the sink to finish writing.
    gateway.wait_queue_empty(timeout=DRAIN_TIMEOUT_S)
    wait_until(lambda: acked <= returned(), 10, 0.5)
    missing = sorted(acked - returned())
    examples = [(q, [e["event"] for e in gateway.show(q)["events"]]) for q in missing[:3]]
    print(f"\n{len(acked)} acknowledged bounces, {len(acked) - len(missing)} returned with a DSN,"
          f" {len(missing)} without; {len(sender_mx.dumps())} DSNs at the sender's MX")
    assert not missing, (
        f"{len(missing)} of {len(acked)} bounced messages never got their DSN after kill -9; "
        f"their events (no dsn_sent): {examples}")

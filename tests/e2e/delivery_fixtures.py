"""Peers and fixtures for the delivery tests: a real DNS server (dnsmasq) with a small zone of
MX, A and null MX records on loopback addresses, SMTP receivers (tests/peers/smtp_receiver.py,
aiosmtpd, in its various modes; Postfix's smtp-sink as a plain one) and a gateway configured to
deliver to them.

Import the fixtures into a test module: `from delivery_fixtures import dns, make_gateway, ...`.
Everything listens on 127.0.0.0/8 only, and every wait has a deadline.

The zone (everything else under .test is NXDOMAIN, names outside .test are REFUSED):

    dest.test       MX 10 mx1.dest.test (127.0.0.11), MX 20 mx2.dest.test (127.0.0.12)
    implicit.test   no MX, A 127.0.0.13 (implicit MX, RFC 5321 5.1)
    nullmx.test     MX 0 "." (null MX, RFC 7505)
    equal.test      MX 10 mxa.equal.test (127.0.0.14), MX 10 mxb.equal.test (127.0.0.15)
    routed.test     MX 10 mx1.dest.test (a route override must win over it)
    sender.test     MX 10 mx.sender.test (127.0.0.20): the senders' domain, where DSNs go
    other.test      MX 10 mx.sender.test (a second sending domain)
    alias-sender.test MX 10 mx.sender.test (made an alias of sender.test by the tests)

Every MX host listens on the same port (the gateway's `delivery.smtp_port`), one loopback
address per host, so a test starts exactly the hosts it needs.
"""
from __future__ import annotations

import email
import email.policy
import json
import os
import pathlib
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass

import pytest

from conftest import BASE_CONFIG, REPO, Node, free_port, merge_config, wait_until
from smtp_wire import rfc5322_now

PYTHON = "/usr/bin/python3"  # Debian's interpreter: python3-aiosmtpd is installed for it
RECEIVER_SCRIPT = REPO / "tests" / "peers" / "smtp_receiver.py"
DNSMASQ = "/usr/sbin/dnsmasq"
SMTP_SINK = "/usr/sbin/smtp-sink"

PEER_START_TIMEOUT_S = 15.0

MX1_ADDR = "127.0.0.11"  # mx1.dest.test, preference 10
MX2_ADDR = "127.0.0.12"  # mx2.dest.test, preference 20
IMPLICIT_ADDR = "127.0.0.13"  # implicit.test (A only)
EQUAL_A_ADDR = "127.0.0.14"  # mxa.equal.test, preference 10
EQUAL_B_ADDR = "127.0.0.15"  # mxb.equal.test, preference 10
ROUTE_ADDR = "127.0.0.18"  # target of a per-domain route (not in DNS)
RELAY_ADDR = "127.0.0.19"  # target of --relay-host (not in DNS)
SENDER_MX_ADDR = "127.0.0.20"  # mx.sender.test: the senders' domain MX, receives the DSNs

SENDER_DOMAIN = "sender.test"
SENDER = "alice@sender.test"
GATEWAY_HOSTNAME = "gw.e2e.test"

ZONE = [
    "--mx-host=dest.test,mx1.dest.test,10",
    "--mx-host=dest.test,mx2.dest.test,20",
    f"--host-record=mx1.dest.test,{MX1_ADDR}",
    f"--host-record=mx2.dest.test,{MX2_ADDR}",
    f"--host-record=implicit.test,{IMPLICIT_ADDR}",
    # RFC 7505: one MX record, preference 0, exchange "." (RDATA 00 00 00).
    "--dns-rr=nullmx.test,15,000000",
    "--mx-host=equal.test,mxa.equal.test,10",
    "--mx-host=equal.test,mxb.equal.test,10",
    f"--host-record=mxa.equal.test,{EQUAL_A_ADDR}",
    f"--host-record=mxb.equal.test,{EQUAL_B_ADDR}",
    "--mx-host=routed.test,mx1.dest.test,10",
    "--mx-host=sender.test,mx.sender.test,10",
    "--mx-host=other.test,mx.sender.test,10",
    "--mx-host=alias-sender.test,mx.sender.test,10",
    f"--host-record=mx.sender.test,{SENDER_MX_ADDR}",
]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, timeout: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- DNS --------------------------------------------------------------------------------------
class Dnsmasq:
    """A real dnsmasq on 127.0.0.1:<port> (UDP and TCP) serving `records` and nothing else."""

    def __init__(self, root: pathlib.Path, records: list[str]):
        self.root = root
        self.records = records
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / "dnsmasq.log"

    def start(self) -> None:
        for _ in range(5):  # the port may be taken between choosing and binding it
            self.port = free_udp_port()
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                     f"--port={self.port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                     # Names under .test that the zone lacks: NXDOMAIN, never forwarded.
                     "--local=/test/", "--log-queries", "--log-facility=-", *self.records],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            if self._answers():
                return
            stop_process(self.proc)
        raise AssertionError(f"dnsmasq did not start:\n{self.log.read_text()}")

    def _answers(self) -> bool:
        deadline = time.monotonic() + PEER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if dns_query(self.port, "mx1.dest.test", 1, timeout=0.3)[0] == 0:
                    return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        stop_process(self.proc)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"


def dns_query(port: int, name: str, qtype: int, timeout: float = 1.0) -> tuple[int, int]:
    """One DNS query over UDP; returns (rcode, answer count)."""
    query_id = int.from_bytes(os.urandom(2), "big")
    header = query_id.to_bytes(2, "big") + bytes([1, 0, 0, 1, 0, 0, 0, 0, 0, 0])
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(header + qname + qtype.to_bytes(2, "big") + b"\0\1", ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
    return data[3] & 0x0F, int.from_bytes(data[6:8], "big")


# --- SMTP receivers ---------------------------------------------------------------------------
@dataclass
class Received:
    """One message as a receiver got it."""
    meta: dict  # mail_from, rcpt_tos, helo, tls, pipelined, connection, ...
    raw: bytes  # the exact octets after dot-unstuffing
    path: pathlib.Path
    run: int  # which start of the receiver got it (from 1)

    @property
    def mail_from(self) -> str:
        # aiosmtpd reports the null sender as "<>".
        sender = self.meta["mail_from"]
        return "" if sender == "<>" else sender

    def parsed(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class Receiver:
    """tests/peers/smtp_receiver.py on ip:port. Each start writes into its own directory, so a
    receiver can be restarted in another mode without overwriting what it got before."""

    def __init__(self, root: pathlib.Path, name: str, ip: str, port: int):
        self.root = root
        self.name = name
        self.ip = ip
        self.port = port
        self.proc: subprocess.Popen | None = None
        self.runs: list[pathlib.Path] = []
        self.mode: str | None = None

    def start(self, mode: str = "accept", *extra: str) -> "Receiver":
        assert self.proc is None or self.proc.poll() is not None, f"{self.name} already runs"
        self.mode = mode
        out = self.root / f"{self.name}-{len(self.runs) + 1}"
        out.mkdir(parents=True)
        self.runs.append(out)
        self.proc = subprocess.Popen(
            [PYTHON, str(RECEIVER_SCRIPT), "--listen", f"{self.ip}:{self.port}", "--out", str(out),
             "--mode", mode, *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=open(out / "stderr", "wb"))
        deadline = time.monotonic() + PEER_START_TIMEOUT_S
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 200)
                if not chunk:
                    break
                line += chunk
        if not line.startswith(b"ready "):
            stop_process(self.proc)
            raise AssertionError(f"receiver {self.name} on {self.ip}:{self.port} did not start: "
                                 f"{line!r}\n{(out / 'stderr').read_text(errors='replace')}")
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def restart(self, mode: str = "accept", *extra: str) -> "Receiver":
        self.stop()
        return self.start(mode, *extra)

    def messages(self) -> list[Received]:
        out = []
        for run, directory in enumerate(self.runs, 1):
            metas = sorted(directory.glob("*.json"), key=lambda p: int(p.stem))
            for meta_path in metas:
                out.append(Received(json.loads(meta_path.read_text()),
                                    meta_path.with_suffix(".eml").read_bytes(), meta_path, run))
        return out

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """At least `count` messages (all of them returned), or an AssertionError."""
        got = wait_until(lambda: len(self.messages()) >= count, timeout, interval=0.1)
        messages = self.messages()
        assert got, (f"receiver {self.name} ({self.mode}) has {len(messages)} message(s), "
                     f"expected {count} within {timeout} s; commands:\n{self.commands()[-3000:]}")
        return messages

    def commands(self) -> str:
        return "".join((d / "commands.log").read_text(errors="replace")
                       for d in self.runs if (d / "commands.log").exists())

    def command_lines(self) -> list[str]:
        """The command lines received, without the client port."""
        return [line.split(" ", 1)[1] for line in self.commands().splitlines() if " " in line]


class SmtpSink:
    """Postfix's smtp-sink on ip:port dumping each transaction into a directory (it drops its
    privileges to `nobody`, so the directory is a world-writable one of its own under /tmp)."""

    def __init__(self, ip: str, port: int):
        self.ip = ip
        self.port = port
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="pw-e2e-sink-"))
        self.dir.chmod(0o1777)
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "smtp-sink.log"

    def start(self, *extra: str) -> "SmtpSink":
        log = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [SMTP_SINK, "-u", "nobody", "-d", f"{self.dir}/msg.", *extra,
             f"{self.ip}:{self.port}", "256"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + PEER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"smtp-sink exited: {self.log.read_text()}"
            try:
                with socket.create_connection((self.ip, self.port), timeout=1) as s:
                    s.settimeout(2)
                    if s.recv(100).startswith(b"220"):
                        s.sendall(b"QUIT\r\n")
                        return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"smtp-sink did not start on {self.ip}:{self.port}")

    def stop(self) -> None:
        stop_process(self.proc)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def dumps(self) -> list[bytes]:
        """Each transaction dumped: smtp-sink's X- lines, then the message with LF line ends."""
        dumps = []
        for path in sorted(self.dir.glob("msg.*")):
            try:
                dumps.append(path.read_bytes())
            except FileNotFoundError:
                pass  # the dump of a transaction the client aborted, removed by smtp-sink
        return dumps


# --- the gateway --------------------------------------------------------------------------------
class Gateway(Node):
    """A node whose `serve` gets extra arguments (--relay-host, --dns)."""

    def __init__(self, root: pathlib.Path, config: dict, serve_args: list[str]):
        super().__init__(root, config)
        self.serve_args = list(serve_args)

    def serve_command(self) -> list[str]:
        return super().serve_command() + self.serve_args

    # --- submission ---
    def send(self, mail_from: str, rcpts: list[str], message: bytes,
             source: str = "127.0.0.2") -> str:
        """One message over a fresh session from the IP sender; returns the queue id."""
        wire = self.session(source=source)
        try:
            queue_id = wire.submit(mail_from, rcpts, stuffed(message)).queue_id()
            wire.quit()
        finally:
            wire.close()
        return queue_id

    # --- the CLI, parsed ---
    def search(self, *filters: str) -> list[dict]:
        out = self.cli("log", "search", *filters, "--json").stdout
        rows = json.loads(out)
        assert isinstance(rows, list), f"log search --json is not an array: {out!r}"
        return rows

    def show(self, queue_id: str, missing_ok: bool = True) -> dict:
        """`queue show --json`; {} while the message is not in the log yet (the log is written
        a few milliseconds after the 250, by a batching writer)."""
        result = self.cli("queue", "show", queue_id, "--json", check=False)
        if result.returncode != 0 and missing_ok and "no message" in result.stderr:
            return {"id": queue_id, "status": None, "recipients": [], "events": []}
        assert result.returncode == 0, f"queue show {queue_id}: {result.stderr.strip()}"
        return json.loads(result.stdout)

    def queue_list(self) -> list[dict]:
        return json.loads(self.cli("queue", "list", "--json").stdout)

    def wait_status(self, queue_id: str, statuses, timeout: float = 20.0) -> dict:
        """Polls `queue show` until the message status is one of `statuses`."""
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        last = {}

        def check():
            nonlocal last
            last = self.show(queue_id)
            return last.get("status") in statuses
        if not wait_until(check, timeout, interval=0.2):
            raise AssertionError(
                f"message {queue_id} not {sorted(statuses)} within {timeout} s: "
                f"{json.dumps(last, indent=1)}\n--- serve log ---\n{self.log_text()[-6000:]}")
        return last

    def wait_rcpt(self, queue_id: str, rcpt: str, statuses, timeout: float = 20.0,
                  min_attempts: int = 0) -> dict:
        """Polls until recipient `rcpt` has one of `statuses` (after `min_attempts` attempts)."""
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        last = {}

        def check():
            nonlocal last
            last = self.show(queue_id)
            for r in last.get("recipients", []):
                if r["rcpt"] == rcpt:
                    return r["status"] in statuses and r["attempts"] >= min_attempts
            return False
        if not wait_until(check, timeout, interval=0.2):
            raise AssertionError(
                f"{queue_id} <{rcpt}> not {sorted(statuses)} (attempts >= {min_attempts}) within "
                f"{timeout} s: {json.dumps(last, indent=1)}\n--- serve log ---\n"
                f"{self.log_text()[-6000:]}")
        return last

    def events(self, queue_id: str) -> list[str]:
        return [e["event"] for e in self.show(queue_id)["events"]]

    def wait_event(self, queue_id: str, event: str, timeout: float = 20.0) -> dict:
        ok = wait_until(lambda: event in self.events(queue_id), timeout, interval=0.2)
        shown = self.show(queue_id)
        assert ok, f"no '{event}' event for {queue_id} within {timeout} s: {json.dumps(shown)}"
        return shown

    def wait_queue_empty(self, timeout: float = 20.0) -> None:
        assert wait_until(lambda: self.queue_list() == [], timeout, interval=0.2), (
            f"queue not empty after {timeout} s: {json.dumps(self.queue_list(), indent=1)}")

    def spool_empty(self, timeout: float = 10.0) -> bool:
        return wait_until(lambda: self.spool_count() == 0, timeout, interval=0.1)


def delivery_config(dns_server: str, smtp_port: int) -> dict:
    """Delivery on, fast retries and short time-outs; every test may override these."""
    return {
        "server": {"hostname": GATEWAY_HOSTNAME},
        "delivery": {
            "enabled": True,
            "dns_servers": [dns_server],
            "dns_timeout_ms": 500,
            "smtp_port": smtp_port,
            # Every MX host of the tests is on loopback, which a gateway refuses by default.
            "allow_loopback_mx": True,
            "retry_min_s": 1,
            "retry_max_s": 2,
            "connect_timeout_s": 3,
            "greeting_timeout_s": 5,
            "command_timeout_s": 5,
            "data_timeout_s": 5,
            "connection_reuse_s": 2,
        },
        "log": {"batch_delay_ms": 5},
    }


def message_with(subject: str, body_lines: list[str] | None = None, sender: str = SENDER,
                 to: str = "bob@dest.test", extra_headers: list[str] | None = None) -> bytes:
    """A valid message with CRLF line ends (Gateway.send dot-stuffs it on the wire), with Date
    and Message-ID as a mail user agent writes them."""
    lines = [f"From: <{sender}>", f"To: <{to}>", f"Subject: {subject}", f"Date: {rfc5322_now()}",
             f"Message-ID: <{re.sub(r'[^A-Za-z0-9]', '-', subject)}.{time.monotonic_ns()}@e2e.test>",
             "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii",
             *(extra_headers or []), "", *(body_lines or ["Hello from the delivery tests."])]
    return "\r\n".join(lines).encode() + b"\r\n"


def stuffed(message: bytes) -> bytes:
    """RFC 5321 4.5.2 transparency: a leading '.' on a line is doubled on the wire."""
    out = message
    if out.startswith(b"."):
        out = b"." + out
    return out.replace(b"\r\n.", b"\r\n..")


# --- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    """dnsmasq with ZONE, shared by the tests of a module (the zone never changes)."""
    server = Dnsmasq(tmp_path_factory.mktemp("dns"), ZONE)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mx_port() -> int:
    """The port every MX host of this test listens on (the gateway's delivery.smtp_port)."""
    return free_port()


@pytest.fixture
def receivers(tmp_path, mx_port):
    """Factory: receivers(ip, mode="accept", *extra, name=None, port=None) -> started Receiver.
    All are stopped at teardown."""
    started: list[Receiver] = []

    def factory(ip: str, mode: str = "accept", *extra: str, name: str | None = None,
                port: int | None = None) -> Receiver:
        receiver = Receiver(tmp_path / "receivers", name or ip, ip, port or mx_port)
        started.append(receiver)
        return receiver.start(mode, *extra)

    yield factory
    for receiver in started:
        receiver.stop()


@pytest.fixture
def sinks():
    started: list[SmtpSink] = []

    def factory(ip: str, port: int, *extra: str) -> SmtpSink:
        sink = SmtpSink(ip, port)
        started.append(sink)
        return sink.start(*extra)

    yield factory
    for sink in started:
        sink.cleanup()


@pytest.fixture
def make_gateway(make_node, request, tmp_path, dns, mx_port):
    """Factory: make_gateway(overrides=None, name="gw", serve_args=(), provision=True,
    start=True) -> Gateway delivering through `dns` to MX hosts on `mx_port`. Provisioned with
    the domain sender.test and its IP sender 127.0.0.2/32. Stopped (SIGTERM, status 0) at
    teardown by `make_node`."""
    def factory(overrides: dict | None = None, name: str = "gw", serve_args=(),
                provision: bool = True, start: bool = True) -> Gateway:
        config = merge_config(merge_config(BASE_CONFIG, delivery_config(dns.server, mx_port)),
                              overrides or {})
        gateway = Gateway(tmp_path / name, config, list(serve_args))
        request.node.pw_nodes.append(gateway)  # make_node's teardown stops and checks it
        if provision:
            gateway.cli("domain", "add", SENDER_DOMAIN)
            gateway.cli("user", "add", "--ip", "127.0.0.2/32", "--owner", SENDER_DOMAIN)
        if start:
            gateway.start()
        return gateway

    return factory

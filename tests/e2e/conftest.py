"""Fixtures for the end-to-end tests: the real postwarden binary on a throwaway data dir.

Each test gets its own data dir and its own `postwarden serve` on a free loopback port, so no
state (bans, session counts, spool files) leaks from one test into the next. The server's stderr
goes to a file that is shown when a test fails; at teardown the server must stop on SIGTERM with
status 0 and without sanitizer reports.
"""
from __future__ import annotations

import json
import mmap
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass

import pytest

from smtp_wire import SmtpWire

REPO = pathlib.Path(__file__).resolve().parents[2]
BINARY = pathlib.Path(os.environ.get("PW_BINARY", str(REPO / "build" / "postwarden")))


def sanitized() -> bool:
    """True for a binary built with AddressSanitizer, whose memory figures mean nothing (its
    shadow memory, red zones and quarantine of freed blocks)."""
    with open(BINARY, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return data.find(b"__asan_init") >= 0
# F-SPAM: the model scripts/setup.sh trains from the corpus' train/ folders.
# The model does not depend on the build (normal or ASan): setup.sh trains build/spam.model.
SPAM_MODEL = pathlib.Path(os.environ.get("PW_SPAM_MODEL", str(REPO / "build" / "spam.model")))

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0
CLI_TIMEOUT_S = 30.0

HOSTNAME = "mx.e2e.test"
DOMAIN = "example.com"
OTHER_DOMAIN = "example.org"
USER = "alice@example.com"
USER_PASSWORD = "correct horse battery"
DOMAIN_PASSWORD = "domain-secret-2024"
RECIPIENT = "bob@example.net"
# Every address in 127/8 is loopback: each role connects from its own.
AUTH_CLIENT_ADDR = "127.0.0.1"  # not an IP sender: relays only after AUTH
IP_SENDER_ADDR = "127.0.0.2"
IP_SENDER = "127.0.0.2/32"
STRANGER_ADDR = "127.0.0.5"  # nobody: may not relay
PROBE_ADDR = "127.0.0.254"  # readiness probes, kept apart from every per-IP count
PROBE_GONE_TIMEOUT_S = 2.0  # the server logs the probe's disconnect within milliseconds

SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error", "ThreadSanitizer")

# Small costs keep the suite fast: argon2 at its minimum memory, short AUTH failure delays.
BASE_CONFIG = {
    "server": {"hostname": HOSTNAME, "shutdown_grace_s": 2},
    # The submission tests look at the spool: hold delivery, and never ask a DNS server off
    # this machine (port 9 on loopback answers nothing). Delivery tests override both.
    "delivery": {"enabled": False, "dns_servers": ["127.0.0.1:9"], "dns_timeout_ms": 200},
    "auth": {
        "failure_delay_ms": 50,
        "max_failure_delay_ms": 200,
        "password_hash_mem_kib": 8192,
        "password_hash_ops": 1,
    },
}


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def merge_config(base: dict, overrides: dict) -> dict:
    merged = {section: dict(keys) for section, keys in base.items()}
    for section, keys in overrides.items():
        merged.setdefault(section, {}).update(keys)
    return merged


def write_config(path: pathlib.Path, config: dict) -> None:
    lines = []
    for section, keys in config.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in keys.items()]
        lines.append("")
    path.write_text("\n".join(lines))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SpoolMessage:
    path: pathlib.Path
    envelope: dict
    raw: bytes  # the message as spooled: a Received: header, then what the client sent

    def headers_added(self, sent: bytes) -> bytes:
        """What the server put in front of the message the client sent (must end with it)."""
        assert self.raw.endswith(sent), (
            f"spooled message does not end with the message sent:\n{self.raw[-600:]!r}")
        return self.raw[: len(self.raw) - len(sent)]


def parse_spool_file(path: pathlib.Path) -> SpoolMessage:
    data = path.read_bytes()
    newline = data.find(b"\n")
    assert newline > 0, f"{path}: no envelope line"
    envelope = json.loads(data[:newline])
    assert isinstance(envelope, dict), f"{path}: envelope is not a JSON object"
    return SpoolMessage(path, envelope, data[newline + 1:])


class CliError(AssertionError):
    pass


class Node:
    """One data dir, its config, the CLI on it and at most one `serve` process."""

    def __init__(self, root: pathlib.Path, config: dict):
        self.root = root
        self.data_dir = root / "data"
        self.config_path = root / "postwarden.toml"
        self.config = config
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self.logs: list[pathlib.Path] = []
        self.extra_listen: list[str] = []
        self.killed = False
        self.stopped = False
        root.mkdir(parents=True, exist_ok=True)
        write_config(self.config_path, config)

    # --- CLI -------------------------------------------------------------------------------
    def cli(self, *args: str, stdin: str | None = None, check: bool = True,
            timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess:
        cmd = [str(BINARY), "--data-dir", str(self.data_dir), "--config", str(self.config_path),
               *args]
        result = subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                                timeout=timeout, env=cli_env())
        if check and result.returncode != 0:
            raise CliError(f"{' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
        return result

    def provision(self) -> None:
        """The standard senders: an IP sender, a password user and a domain user."""
        self.cli("domain", "add", DOMAIN)
        self.cli("user", "add", "--ip", IP_SENDER, "--owner", DOMAIN)
        self.cli("user", "add", "--user", USER, "--password-stdin", stdin=USER_PASSWORD + "\n")
        self.cli("user", "add", "--domain", DOMAIN, "--password-stdin",
                 stdin=DOMAIN_PASSWORD + "\n")

    def install_spam_model(self, model: pathlib.Path | None = None) -> pathlib.Path:
        """Copies the spam model (scripts/setup.sh trains build/spam.model) to where serve loads
        it, <data-dir>/spam.model; call before start(). Tests without it judge by rules alone."""
        source = model or SPAM_MODEL
        if not source.is_file():
            pytest.fail(f"spam model {source} missing: run scripts/setup.sh (it trains it)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        target = self.data_dir / "spam.model"
        shutil.copyfile(source, target)
        return target

    def users(self) -> list[dict]:
        out = self.cli("user", "list", "--json").stdout
        users = json.loads(out)
        assert isinstance(users, list), f"user list --json is not a JSON array: {out!r}"
        return users

    # --- serve -----------------------------------------------------------------------------
    def serve_command(self) -> list[str]:
        return [str(BINARY), "serve", "--data-dir", str(self.data_dir), "--config",
                str(self.config_path), "--listen", f"127.0.0.1:{self.port}",
                *(arg for listen in self.extra_listen for arg in ("--listen", listen))]

    def start(self, extra_listen: list[str] | None = None) -> None:
        """Starts serve on 127.0.0.1:self.port (and `extra_listen`, e.g. "[::1]:PORT")."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        if self.port is None:
            self.port = free_port()
        if extra_listen is not None:
            self.extra_listen = extra_listen
        log = self.root / f"serve-{len(self.logs) + 1}.stderr"
        self.logs.append(log)
        with open(log, "wb") as stderr:
            self.proc = subprocess.Popen(self.serve_command(), stdin=subprocess.DEVNULL,
                                         stdout=stderr, stderr=stderr, env=cli_env())
        self.killed = False
        self.stopped = False
        self.wait_until_accepting()

    def serve_expecting_refusal(self, timeout: float = 15) -> subprocess.CompletedProcess:
        """Runs serve where it must refuse to start (bad config): it has to exit by itself."""
        if self.port is None:
            self.port = free_port()
        try:
            return subprocess.run(self.serve_command(), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout, env=cli_env())
        except subprocess.TimeoutExpired:
            raise AssertionError(f"serve kept running for {timeout} s with config:\n"
                                 f"{self.config_path.read_text()}")

    def wait_until_accepting(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"serve exited with {self.proc.returncode} before accepting:\n{self.log_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1,
                                              source_address=(PROBE_ADDR, 0)):
                    pass
                self.wait_probe_gone()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"serve did not accept within {START_TIMEOUT_S} s:\n{self.log_text()}")

    def wait_probe_gone(self) -> None:
        """Waits (bounded) until the server has let go of the readiness probe's session, so a
        test that counts sessions (max_sessions, reserved shares) starts from zero."""
        log = self.logs[-1]
        gone = (f"event=disconnect client={PROBE_ADDR} ", f"client={PROBE_ADDR}\n")
        wait_until(lambda: any(text in log.read_text(errors="replace") for text in gone),
                   PROBE_GONE_TIMEOUT_S, interval=0.02)

    def stop(self) -> int:
        """SIGTERM and a bounded wait; returns the exit status."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(
                f"serve had already exited with status {self.proc.returncode} before SIGTERM")
        self.stopped = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError(f"serve ignored SIGTERM for {STOP_TIMEOUT_S} s")
        return self.proc.returncode

    def kill9(self) -> None:
        assert self.proc is not None and self.proc.poll() is None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.killed = True

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        parts = []
        for log in self.logs:
            if log.exists():
                parts.append(f"=== {log.name} ===\n" + log.read_bytes().decode("utf-8", "replace"))
        return "\n".join(parts)

    def sanitizer_reports(self) -> list[str]:
        text = self.log_text()
        return [marker for marker in SANITIZER_MARKERS if marker in text]

    # --- connections -----------------------------------------------------------------------
    def connect(self, source: str = AUTH_CLIENT_ADDR, timeout: float | None = None) -> SmtpWire:
        wire = SmtpWire(self.port, source=source) if timeout is None else SmtpWire(
            self.port, source=source, timeout=timeout)
        return wire

    def session(self, source: str = AUTH_CLIENT_ADDR, ehlo: bool = True) -> SmtpWire:
        """Connected, greeted with 220, and (by default) after a successful EHLO."""
        wire = self.connect(source)
        greeting = wire.greeting()
        wire.check(greeting, 220, where="as greeting")
        if ehlo:
            wire.ehlo()
        return wire

    def authenticated(self, user: str = USER, password: str = USER_PASSWORD,
                      source: str = AUTH_CLIENT_ADDR) -> SmtpWire:
        wire = self.session(source)
        wire.starttls()
        wire.ehlo()
        wire.check(wire.auth_plain(user, password), 235, "2.7.0", where="after AUTH PLAIN")
        return wire

    # --- spool -----------------------------------------------------------------------------
    @property
    def incoming(self) -> pathlib.Path:
        return self.data_dir / "spool" / "incoming"

    @property
    def spool_tmp(self) -> pathlib.Path:
        return self.data_dir / "spool" / "tmp"

    def spool_ids(self) -> list[str]:
        if not self.incoming.exists():
            return []
        return sorted(p.name for p in self.incoming.iterdir() if p.is_file())

    def spool_count(self) -> int:
        return len(self.spool_ids())

    def tmp_files(self) -> list[str]:
        """What spool/tmp holds besides the spares: the empty files named spare-N that the
        gateway makes ahead of need ([spool] spare_files)."""
        if not self.spool_tmp.exists():
            return []

        def spare(path: pathlib.Path) -> bool:
            try:
                return path.name.startswith("spare-") and path.stat().st_size == 0
            except FileNotFoundError:  # taken and renamed meanwhile
                return True

        return sorted(p.name for p in self.spool_tmp.iterdir() if not spare(p))

    def spooled(self, queue_id: str) -> SpoolMessage:
        path = self.incoming / queue_id
        assert path.is_file(), f"{path} missing; incoming/ holds {self.spool_ids()}"
        return parse_spool_file(path)


def cli_env() -> dict:
    env = dict(os.environ)
    env.pop("POSTWARDEN_DATA_DIR", None)
    # Make sanitizer builds report, not hang or abort on leaks that only matter at exit.
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Polls `predicate` until it returns a true value or `timeout` passes; returns the last."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- pytest wiring -------------------------------------------------------------------------
def pytest_configure(config):
    config.addinivalue_line(
        "markers", "pw_config(**sections): config overrides for the `node` fixture, e.g. "
        "pw_config(smtp={'max_recipients': 3})")


def pytest_sessionstart(session):
    if not BINARY.is_file() or not os.access(BINARY, os.X_OK):
        raise pytest.UsageError(
            f"postwarden binary not found at {BINARY}: build it (cmake -B build && "
            "cmake --build build) or set PW_BINARY")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for node in getattr(item, "pw_nodes", []):
            text = node.log_text()
            if len(text) > 30000:
                text = "...\n" + text[-30000:]
            report.sections.append((f"postwarden serve stderr ({node.root})", text))


@pytest.fixture
def make_node(tmp_path, request):
    """Factory: make_node(config_overrides, name) -> Node (not provisioned, not started)."""
    nodes: list[Node] = []
    request.node.pw_nodes = nodes

    def factory(overrides: dict | None = None, name: str = "node") -> Node:
        node = Node(tmp_path / name, merge_config(BASE_CONFIG, overrides or {}))
        nodes.append(node)
        return node

    yield factory

    problems = []
    for node in nodes:
        if node.proc is None:
            continue
        if node.stopped:
            if node.proc.returncode != 0:
                problems.append(f"{node.root}: serve exited with status {node.proc.returncode}")
        elif not node.killed:
            try:
                status = node.stop()
            except AssertionError as e:
                problems.append(f"{node.root}: {e}")
                continue
            if status != 0:
                problems.append(f"{node.root}: serve exited with status {status} on SIGTERM")
        reports = node.sanitizer_reports()
        if reports:
            problems.append(f"{node.root}: sanitizer reports in stderr: {reports}")
    if problems:
        logs = "\n".join(node.log_text()[-20000:] for node in nodes)
        pytest.fail("\n".join(problems) + "\n" + logs, pytrace=False)


@pytest.fixture
def node(make_node, request) -> Node:
    """A started server with the standard senders; config from @pytest.mark.pw_config(...)."""
    overrides = {}
    marker = request.node.get_closest_marker("pw_config")
    if marker is not None:
        overrides = marker.kwargs
    node = make_node(overrides)
    node.provision()
    node.start()
    return node

"""Fixtures for the external scanner tests (F-SPAM rspamd and spamd): the real daemons.

rspamd 3.4 runs from the system rules (/etc/rspamd) with a private LOCAL_CONFDIR, run, db and
log dirs, its normal worker and controller on free loopback ports (the proxy off), logging to
its stderr file, and its resolver pointed at a private dnsmasq that answers every name at once
with NXDOMAIN, so no network rule waits for a time-out. As root it runs as `_rspamd`.
spamd (SpamAssassin 4) runs on a free loopback port with one child, local tests only (-L), no
per-user configs (-x), and a private copy of /etc/spamassassin as its site config.
Both get one extra rule that fires on PW_E2E_TOKEN (symbol PW_E2E_SPAM, 20 points): a message
only the scanners flag (our own GTUBE check would decide a GTUBE message first).
The daemons start once per test session; their start-up time is printed and bounded.
"""
from __future__ import annotations

import json
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import pytest

from conftest import free_port
from delivery_fixtures import DNSMASQ, free_udp_port, stop_process

__all__ = ["rspamd", "spamd", "PW_E2E_TOKEN"]  # fixtures used by name

RSPAMD = "/usr/bin/rspamd"
SPAMD = "/usr/sbin/spamd"
# rspamd compiles its Hyperscan databases at start: tens of seconds on a busy 2-core machine.
RSPAMD_START_TIMEOUT_S = 180.0
SPAMD_START_TIMEOUT_S = 60.0
PW_E2E_TOKEN = "PW-E2E-SCANNER-TEST-TOKEN-7c1f"

RSPAMD_RULE = f"""-- postwarden e2e: a symbol only the scanner sets, on a test token in the message.
rspamd_config.PW_E2E_SPAM = {{
  callback = function(task)
    return string.find(tostring(task:get_content()), "{PW_E2E_TOKEN}", 1, true) ~= nil
  end,
  score = 20.0,
  description = 'postwarden e2e test token',
}}
"""

SPAMD_RULE = f"""
# postwarden e2e: a rule only the scanner has, on a test token in the message.
body PW_E2E_SPAM /{PW_E2E_TOKEN}/
describe PW_E2E_SPAM postwarden e2e test token
score PW_E2E_SPAM 20.0
"""


def private_dir(prefix: str) -> pathlib.Path:
    """A dir under /tmp (world-traversable, unlike pytest's tmp) the daemon's user can use."""
    path = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def chown_tree(path: pathlib.Path, owner: str | None) -> None:
    if owner is None:
        return
    entry = pwd.getpwnam(owner)
    for p in [path, *path.rglob("*")]:
        os.chown(p, entry.pw_uid, entry.pw_gid)


def daemon_user(name: str) -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
        return name
    except KeyError:
        return None


def start_and_wait(cmd: list[str], log_path: pathlib.Path, ready, timeout_message: str,
                   timeout_s: float) -> tuple[subprocess.Popen, float]:
    """Starts a daemon logging to log_path and polls ready() until it answers: (process,
    seconds it took). Fails with the log's tail when it exits first or does not answer."""
    started = time.monotonic()
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{cmd[0]} exited with {proc.returncode}:\n"
                                 f"{log_path.read_text(errors='replace')[-5000:]}")
        if ready():
            return proc, time.monotonic() - started
        time.sleep(0.2)
    stop_process(proc)
    raise AssertionError(f"{timeout_message}:\n{log_path.read_text(errors='replace')[-5000:]}")


class Rspamd:
    def __init__(self, root: pathlib.Path, user: str | None):
        self.root = root
        self.user = user
        self.port = 0
        self.controller_port = 0
        self.dns_port = 0
        self.proc: subprocess.Popen | None = None
        self.dns: subprocess.Popen | None = None
        self.start_seconds = 0.0
        self.log = root / "rspamd.stderr"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.dns_port = free_udp_port()
        with open(self.root / "dnsmasq.log", "ab") as log:
            # Every name: NXDOMAIN at once, never forwarded.
            self.dns = subprocess.Popen(
                [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                 f"--port={self.dns_port}", "--listen-address=127.0.0.1", "--bind-interfaces",
                 "--address=/#/"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.port, self.controller_port = free_port(), free_port()
        for sub in ("local.d", "override.d", "run", "db", "log"):
            (self.root / sub).mkdir(exist_ok=True)
        (self.root / "local.d" / "worker-normal.inc").write_text(
            f'bind_socket = "127.0.0.1:{self.port}";\ncount = 1;\n')
        (self.root / "local.d" / "worker-controller.inc").write_text(
            f'bind_socket = "127.0.0.1:{self.controller_port}";\n')
        (self.root / "local.d" / "worker-proxy.inc").write_text("enabled = false;\n")
        (self.root / "local.d" / "options.inc").write_text(
            f'dns {{ nameserver = ["127.0.0.1:{self.dns_port}"]; timeout = 1s; '
            f'retransmits = 1; }}\n')
        (self.root / "override.d" / "logging.inc").write_text(
            'type = "console";\nlevel = "info";\n')
        (self.root / "rspamd.local.lua").write_text(RSPAMD_RULE)
        chown_tree(self.root, self.user)
        cmd = [RSPAMD, "-f", "-c", "/etc/rspamd/rspamd.conf",
               "--var", f"LOCAL_CONFDIR={self.root}", "--var", f"RUNDIR={self.root / 'run'}",
               "--var", f"DBDIR={self.root / 'db'}", "--var", f"LOGDIR={self.root / 'log'}"]
        cmd += ["-u", self.user, "-g", self.user] if self.user else ["-i"]
        self.proc, self.start_seconds = start_and_wait(
            cmd, self.log, self.rspamd_pong, f"rspamd did not answer /ping within "
            f"{RSPAMD_START_TIMEOUT_S} s", RSPAMD_START_TIMEOUT_S)

    def rspamd_pong(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as r:
                return r.read().strip() == b"pong"
        except OSError:
            return False

    def scanned(self) -> int:
        """Messages rspamd has scanned since it started (controller /stat)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.controller_port}/stat",
                                    timeout=5) as r:
            return int(json.loads(r.read())["scanned"])

    def stop(self) -> None:
        stop_process(self.proc, timeout=15)
        stop_process(self.dns)


class Spamd:
    def __init__(self, root: pathlib.Path, user: str | None):
        self.root = root
        self.user = user
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.start_seconds = 0.0
        self.log = root / "spamd.stderr"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall(b"PING SPAMC/1.5\r\n\r\n")
                s.settimeout(5)
                return b"PONG" in s.recv(200)
        except OSError:
            return False

    def start(self) -> None:
        site = self.root / "site"
        shutil.copytree("/etc/spamassassin", site, ignore=shutil.ignore_patterns("*.d"))
        with open(site / "local.cf", "a") as f:
            f.write(SPAMD_RULE)
        home = self.root / "home"
        home.mkdir()
        chown_tree(self.root, self.user)
        self.port = free_port()
        cmd = [SPAMD, f"--listen=127.0.0.1:{self.port}", "--max-children=1", "--min-children=1",
               "-L", "-x", "--siteconfigpath", str(site), f"--helper-home-dir={home}",
               "-s", "stderr", "--pidfile", str(self.root / "spamd.pid")]
        if self.user:
            cmd += ["-u", self.user]
        self.proc, self.start_seconds = start_and_wait(
            cmd, self.log, self.ping, f"spamd did not answer PING within "
            f"{SPAMD_START_TIMEOUT_S} s", SPAMD_START_TIMEOUT_S)

    def connections(self) -> int:
        """Connections spamd has logged so far."""
        return self.log.read_text(errors="replace").count("connection from")

    def stop(self) -> None:
        stop_process(self.proc, timeout=15)


def run_daemon(daemon, label: str):
    """Starts a scanner daemon for a test session, yields it, and stops and removes it after."""
    try:
        daemon.start()
        print(f"\n{label} ready in {daemon.start_seconds:.1f} s")
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(daemon.root, ignore_errors=True)


@pytest.fixture(scope="session")
def rspamd():
    yield from run_daemon(Rspamd(private_dir("pw-rspamd-"), daemon_user("_rspamd")), "rspamd")


@pytest.fixture(scope="session")
def spamd():
    yield from run_daemon(Spamd(private_dir("pw-spamd-"), daemon_user("debian-spamd")), "spamd")

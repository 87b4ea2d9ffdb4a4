"""A real ClamAV clamd for the virus-scanning tests (F-AV), and one misbehaving peer.

No signature download is possible here, so the fixture writes its own database: the EICAR test
file by MD5 and size (the form ClamAV's own database uses for it) and a marker string of this
project by content. clamd runs in the foreground on a Unix socket in a temp dir, TCP off, with a
small StreamMaxLength; the fixture waits (bounded) for PING -> PONG and stops it at the end.

`silent_clamd` is NOT clamd: a test peer on a Unix socket that accepts and reads but never
answers, to prove the gateway's deadline.
"""
from __future__ import annotations

import hashlib
import pathlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

import pytest

CLAMD = "/usr/sbin/clamd"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_NAME = "Eicar-Test-Signature"
MARKER = b"POSTWARDEN-TEST-MARKER-7f3a"
MARKER_NAME = "Postwarden.Test.Marker"
STREAM_MAX_BYTES = 2 * 1024 * 1024


def clamd_request(path: str, command: bytes, data: bytes | None = None,
                  timeout: float = 5.0) -> bytes:
    """One z-command (with INSTREAM framing when `data` is given); the reply without its NUL."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(command + b"\0")
        if data is not None:
            for i in range(0, len(data), 65536):
                chunk = data[i:i + 65536]
                s.sendall(len(chunk).to_bytes(4, "big") + chunk)
            s.sendall(b"\0\0\0\0")
        reply = b""
        while not reply.endswith(b"\0") and len(reply) < 4096:
            got = s.recv(4096)
            if not got:
                break
            reply += got
    return reply.rstrip(b"\0")


@dataclass
class Clamd:
    socket: str
    root: pathlib.Path
    proc: subprocess.Popen
    start_seconds: float  # from spawn to the first PONG

    def log_text(self) -> str:
        log = self.root / "clamd.log"
        return log.read_text(errors="replace") if log.exists() else ""


def write_database(db: pathlib.Path) -> None:
    db.mkdir(parents=True, exist_ok=True)
    assert len(EICAR) == 68
    (db / "postwarden-test.hdb").write_text(
        f"{hashlib.md5(EICAR).hexdigest()}:{len(EICAR)}:{EICAR_NAME}\n")
    (db / "postwarden-test.ndb").write_text(f"{MARKER_NAME}:0:*:{MARKER.hex()}\n")


def start_clamd(root: pathlib.Path) -> Clamd:
    root.mkdir(parents=True, exist_ok=True)
    write_database(root / "db")
    sock = root / "clamd.sock"
    conf = root / "clamd.conf"
    conf.write_text("\n".join([
        "Foreground yes",
        f"LocalSocket {sock}",
        f"DatabaseDirectory {root / 'db'}",
        f"LogFile {root / 'clamd.log'}",
        f"PidFile {root / 'clamd.pid'}",
        "User root",  # the tests run as root; clamd would otherwise switch to clamav
        f"StreamMaxLength {STREAM_MAX_BYTES}",
        "MaxThreads 4",
        "SelfCheck 3600",
        "",
    ]))
    started = time.monotonic()
    out = open(root / "clamd.stdout", "wb")
    proc = subprocess.Popen([CLAMD, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=out,
                            stderr=subprocess.STDOUT)
    out.close()
    deadline = started + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"clamd exited with {proc.returncode}:\n"
                                 f"{(root / 'clamd.stdout').read_text(errors='replace')}")
        try:
            if clamd_request(str(sock), b"zPING", timeout=1.0) == b"PONG":
                return Clamd(str(sock), root, proc, time.monotonic() - started)
        except OSError:
            pass
        time.sleep(0.02)
    proc.kill()
    proc.wait(STOP_TIMEOUT_S)
    raise AssertionError(f"clamd did not answer PING within {START_TIMEOUT_S} s")


def stop_clamd(clamd: Clamd) -> None:
    if clamd.proc.poll() is None:
        clamd.proc.terminate()
        try:
            clamd.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            clamd.proc.kill()
            clamd.proc.wait(STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def clamd():
    """The real clamd with the test database, shared by the whole session."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="pw-clamd-"))  # short: the socket path
    daemon = start_clamd(root)
    print(f"\nclamd answered PING {daemon.start_seconds * 1000:.0f} ms after it was started")
    yield daemon
    stop_clamd(daemon)
    shutil.rmtree(root, ignore_errors=True)


class SilentPeer:
    """A misbehaving test peer (not clamd): accepts on a Unix socket, reads, never answers."""

    def __init__(self, path: pathlib.Path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.connections: list[socket.socket] = []
        self.accepted = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        until = time.monotonic() + 600  # bounded even if nobody stops it
        while not self.stopping.is_set() and time.monotonic() < until:
            try:
                conn, _ = self.sock.accept()
                conn.settimeout(0.05)
                self.connections.append(conn)
                self.accepted += 1
            except OSError:
                pass
            for conn in list(self.connections):
                try:
                    conn.recv(65536)  # swallow the stream, answer nothing
                except OSError:
                    pass

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_clamd():
    # A short directory: a Unix socket path has at most 107 bytes, test names are long.
    root = pathlib.Path(tempfile.mkdtemp(prefix="pw-silent-"))
    peer = SilentPeer(root / "clamd.sock")
    yield peer
    peer.stop()
    shutil.rmtree(root, ignore_errors=True)

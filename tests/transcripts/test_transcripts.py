"""SMTP transcript tests (STYLE.md rule 18): every tests/transcripts/*.txt is one dialogue, the
client's lines and the server's exact replies, replayed by this one driver against the real
`postwarden serve` (PW_BINARY). They pin what the SMTP server session answers today, so that
src/smtp/server_session.cpp can be split without changing a reply. README.md beside this file
describes the format.

Each gateway profile (PROFILES) starts once per module, on a throwaway data dir, with loopback
listeners for submission (STARTTLS), implicit TLS and the bounce listener, a dnsmasq with a small
zone (the sender domain, an NXDOMAIN domain, a DNS block list) and, for the standard profile, a
real clamd with the EICAR test signature. The users that dialogues name with @setup (or as their
client) are added with the real CLI before it starts. At module end each gateway must stop on
SIGTERM with status 0; a sanitizer report in its stderr fails the dialogue that caused it.

Trust: every byte the server sends is compared, never assumed; every read has a deadline.
Set PW_TRANSCRIPT_RECORD=DIR to write what the server answers now, in the file format, to DIR
instead of comparing (for writing a new dialogue; review what it recorded before keeping it).
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import os
import pathlib
import re
import shutil
import socket
import sqlite3
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

from clamd_fixture import CLAMD, start_clamd, stop_clamd  # noqa: E402
from conftest import (BASE_CONFIG, BINARY, SANITIZER_MARKERS, Node, free_port,  # noqa: E402
                      merge_config)
from delivery_fixtures import Dnsmasq  # noqa: E402
from smtp_wire import client_tls_context  # noqa: E402

REPLY_TIMEOUT_S = 10.0  # one reply line; the slowest is a DATA reply after a clamd scan
SILENCE_S = 0.5  # "= silent": long enough for a reply already on its way over loopback
CLOSE_TIMEOUT_S = 10.0
RECORD_QUIET_S = 0.6  # record mode: a reply is complete after this much silence
MAX_LINE = 100_000

HOSTNAME = "mx.transcript.test"
DOMAIN = "sender.test"
OTHER_DOMAIN = "other.test"  # a second customer domain, batv off
ADMIN_CONTACT = "abuse@sender.test"
PASSWORD_USER = "alice@sender.test"
PASSWORD = "correct horse battery"
DOMAIN_PASSWORD = "domain-secret-2024"
LOCKED_USER = "locked@sender.test"
LOCKED_PASSWORD = "barred sender pass"
BATV_LIFETIME_DAYS = 7
NEW_DOMAIN = "fresh.test"  # registered "today" by the imported NRD feed
LISTED_ADDR = "127.0.0.14"  # listed in the block list bl.test

# The zone: everything else under .test is NXDOMAIN, names outside .test are REFUSED.
ZONE = [
    f"--mx-host={DOMAIN},mx.{DOMAIN},10",
    f"--mx-host={OTHER_DOMAIN},mx.{DOMAIN},10",
    f"--mx-host={NEW_DOMAIN},mx.{DOMAIN},10",
    f"--host-record=mx.{DOMAIN},127.0.0.20",
    "--host-record=mx1.dest.test,127.0.0.11",  # what delivery_fixtures.Dnsmasq asks when ready
    # RFC 5782: 127.0.0.14 is listed in bl.test.
    f"--host-record={'.'.join(reversed(LISTED_ADDR.split('.')))}.bl.test,127.0.0.2",
]

# Every profile: small limits so each refusal is cheap to reach; delivery held (accepted mail
# stays in the spool); DNS only from the module's dnsmasq.
COMMON_CONFIG = {
    "server": {"hostname": HOSTNAME},
    "smtp": {"max_message_size": 20000, "max_recipients": 3},
    "auth": {"max_failures": 3},
    "batv": {"tag_lifetime_days": BATV_LIFETIME_DAYS},
    "ip_reputation": {"zones": ["bl.test"], "timeout_ms": 1000},
    "delivery": {"dns_timeout_ms": 500},
}


@dataclass
class Profile:
    doc: str
    config: dict
    clamd: str = ""  # "running": the module's clamd; "absent": a socket nobody listens on


PROFILES = {
    "standard": Profile("the settings above, clamd on", {}, clamd="running"),
    "short-timeouts": Profile(
        "1 s idle and DATA time-outs, 2 s per command line",
        {"smtp": {"idle_timeout_s": 1, "data_timeout_s": 1, "command_deadline_s": 2}}),
    "variant": Profile(
        "SMTPUTF8 not offered; AUTH offered without TLS",
        {"smtp": {"smtputf8": False}, "tls": {"require_tls_for_auth": False}}),
    "clamd-down": Profile("clamd configured but not running (on_failure = tempfail)", {},
                          clamd="absent"),
}

# Client roles: the loopback address a connection comes from. A literal 127.x.y.z works too.
ROLES = {
    "auth-client": "127.0.0.1",  # no IP user: relays only after AUTH
    "ip-sender": "127.0.0.2",  # the IP user 127.0.0.2/32 of sender.test
    "stranger": "127.0.0.5",  # nobody
    "remote-mta": "127.0.0.7",  # a remote server sending bounces to the bounce listener
}


@dataclass
class Setup:
    doc: str
    # CLI argument tuples; an element "<" is followed by the command's stdin (a str, or a
    # function that returns one when the setup runs)
    commands: list[tuple]
    address: str | None = None  # a setup that is an IP user is also a client role


def ip_user(address: str, *settings: str) -> list[tuple]:
    steps = [("user", "add", "--ip", f"{address}/32", "--owner", DOMAIN)]
    if settings:
        steps.append(("user", "set", f"{address}/32", *settings))
    return steps


def today_feed() -> str:
    now = datetime.datetime.now(datetime.timezone.utc)
    return f"{NEW_DOMAIN},{now.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"


# Named fixtures for @setup. Each IP user has an address of its own: its counters and locks
# are touched by its dialogue only.
SETUPS = {
    "locked-user": Setup(
        f"{LOCKED_USER} (password '{LOCKED_PASSWORD}'), locked by an administrator",
        [("user", "add", "--user", LOCKED_USER, "--password-stdin", "<", LOCKED_PASSWORD + "\n"),
         ("user", "lock", LOCKED_USER, "--reason", "phishing reported")]),
    "rate-limited-ip-sender": Setup("messages_per_hour=1",
                                    ip_user("127.0.0.3", "messages_per_hour=1"), "127.0.0.3"),
    "size-limited-ip-sender": Setup("max_message_size=1000",
                                    ip_user("127.0.0.4", "max_message_size=1000"), "127.0.0.4"),
    "from-domain-ip-sender": Setup(
        "require_from_domain=sender.test, reauth_permitted=on",
        ip_user("127.0.0.6", f"require_from_domain={DOMAIN}", "reauth_permitted=on"),
        "127.0.0.6"),
    "valid-sender-ip-sender": Setup(
        "valid_sender_required=on, reauth_permitted=on",
        ip_user("127.0.0.8", "valid_sender_required=on", "reauth_permitted=on"), "127.0.0.8"),
    "daily-recipients-ip-sender": Setup(
        "max_recipients_per_day=2", ip_user("127.0.0.9", "max_recipients_per_day=2"),
        "127.0.0.9"),
    "invalid-recipients-ip-sender": Setup(
        "invalid_recipient_limit=1", ip_user("127.0.0.10", "invalid_recipient_limit=1"),
        "127.0.0.10"),
    "quarantine-accepted-ip-sender": Setup(
        "quarantine_response=accepted",
        ip_user("127.0.0.11", "quarantine_response=accepted"), "127.0.0.11"),
    "spam-ip-sender": Setup("default settings (block_spam on, quarantine_response=rejected)",
                            ip_user("127.0.0.12"), "127.0.0.12"),
    "virus-ip-sender": Setup("default settings (block_viruses on)", ip_user("127.0.0.13"),
                             "127.0.0.13"),
    "listed-ip-sender": Setup(f"{LISTED_ADDR}, listed in the block list bl.test",
                              ip_user(LISTED_ADDR), LISTED_ADDR),
    "attachment-blocking-ip-sender": Setup(
        "block_macros=on, block_pua=on",
        ip_user("127.0.0.15", "block_macros=on", "block_pua=on"), "127.0.0.15"),
    "new-domain-ip-sender": Setup(
        f"reject_new_domains=on, reauth_permitted=on; the feed says {NEW_DOMAIN} is new",
        [*ip_user("127.0.0.16", "reject_new_domains=on", "reauth_permitted=on"),
         ("nrd", "import", "-", "<", today_feed)], "127.0.0.16"),
    "connection-limited-ip-sender": Setup(
        "connection_limits=on, limit_per_minute=1",
        ip_user("127.0.0.17", "connection_limits=on", "limit_per_minute=1"), "127.0.0.17"),
    "monitor-ip-sender": Setup("policy_mode=monitor, messages_per_hour=1",
                               ip_user("127.0.0.18", "policy_mode=monitor",
                                       "messages_per_hour=1"), "127.0.0.18"),
}

# What every gateway has: the domains, the IP sender, a password user and the domain user.
BASE_SETUP = [
    ("domain", "add", DOMAIN, "--admin-contact", ADMIN_CONTACT),
    ("domain", "add", OTHER_DOMAIN),
    ("domain", "set", DOMAIN, "batv=on"),
    ("user", "add", "--ip", "127.0.0.2/32", "--owner", DOMAIN),
    ("user", "add", "--user", PASSWORD_USER, "--password-stdin", "<", PASSWORD + "\n"),
    ("user", "add", "--domain", DOMAIN, "--password-stdin", "<", DOMAIN_PASSWORD + "\n"),
]

LISTENERS = ("submission", "implicit-tls", "bounce")


# --- the file format -------------------------------------------------------------------------
class FormatError(Exception):
    pass


@dataclass
class Step:
    kind: str  # connect, open, send, expect, closed, silent, tls, pause
    line: int
    text: str = ""  # send: the client line as written; expect: the expected line
    raw: str = ""  # send: C (line + CRLF), D (dot-stuffed line + CRLF) or R (raw with escapes)
    listener: str = ""
    client: str = ""
    count: int = 0
    millis: int = 0


@dataclass
class Dialogue:
    path: pathlib.Path
    description: str = ""
    profile: str = "standard"
    setups: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.stem


_CONNECT = re.compile(r"^@(connect|open)\s+(?:(\d+)\s+)?(\S+)\s+from\s+(\S+)$")


def resolve_client(name: str) -> str:
    if name in ROLES:
        return ROLES[name]
    if name in SETUPS and SETUPS[name].address:
        return SETUPS[name].address
    if re.fullmatch(r"127\.\d{1,3}\.\d{1,3}\.\d{1,3}", name):
        return name
    raise FormatError(f"unknown client {name!r}: a role ({', '.join(ROLES)}), an IP-user "
                      "setup or a literal 127.x.y.z address")


def parse(path: pathlib.Path) -> Dialogue:
    dialogue = Dialogue(path)
    comments: list[str] = []
    in_header = True
    connected = False
    closed = True  # the current connection had its = closed
    ended = True  # the current connection's last step was = closed or = silent

    def error(number: int, message: str) -> FormatError:
        return FormatError(f"{path.name}:{number}: {message}")

    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#"):
            if in_header and not dialogue.steps:
                comments.append(line[1:].strip())
            continue
        if line.startswith("@gateway ") or line.startswith("@setup "):
            if not in_header:
                raise error(number, f"{line.split()[0]} belongs before the first @connect")
            value = line.split(None, 1)[1].strip()
            if line.startswith("@gateway "):
                if value not in PROFILES:
                    raise error(number, f"unknown gateway profile {value!r}")
                dialogue.profile = value
            else:
                if value not in SETUPS:
                    raise error(number, f"unknown setup {value!r}")
                dialogue.setups.append(value)
            continue
        if line.startswith("@"):
            match = _CONNECT.match(line)
            if not match:
                raise error(number, f"unknown directive {line!r}")
            kind, count, listener, client = match.groups()
            if listener not in LISTENERS:
                raise error(number, f"unknown listener {listener!r}: {', '.join(LISTENERS)}")
            if (kind == "open") != (count is not None):
                raise error(number, "@open N LISTENER from CLIENT / @connect LISTENER from CLIENT")
            try:
                address = resolve_client(client)
            except FormatError as e:
                raise error(number, str(e))
            if client in SETUPS and client not in dialogue.setups:
                dialogue.setups.append(client)
            if kind == "connect":
                if not ended:
                    raise error(number, "the previous connection must end with = closed or "
                                "= silent")
                connected, closed, ended = True, False, False
            in_header = False
            dialogue.steps.append(Step(kind, number, listener=listener, client=address,
                                       count=int(count or 0)))
            continue
        if not connected:
            raise error(number, "a dialogue line before the first @connect")
        if closed:
            raise error(number, "a dialogue line after = closed")
        ended = False
        if line[:2] in ("C:", "D:", "R:", "S:"):
            body = line[3:] if line[2:3] == " " else line[2:]
            if line[2:3] not in ("", " "):
                raise error(number, f"expected a space after {line[:2]}")
            if line[0] == "S":
                if not body:
                    raise error(number, "an empty S: line")
                dialogue.steps.append(Step("expect", number, text=body))
            else:
                dialogue.steps.append(Step("send", number, text=body, raw=line[0]))
            continue
        if line.startswith("= "):
            word = line[2:].split()
            if word == ["closed"] or word == ["silent"]:
                ended = True
                closed = word == ["closed"]
                dialogue.steps.append(Step(word[0], number))
            elif word == ["tls"]:
                dialogue.steps.append(Step("tls", number))
            elif len(word) == 2 and word[0] == "pause" and word[1].isdigit():
                dialogue.steps.append(Step("pause", number, millis=int(word[1])))
            else:
                raise error(number, f"unknown expectation {line!r}")
            continue
        raise error(number, f"cannot read {line!r}")
    if not connected:
        raise FormatError(f"{path.name}: no @connect")
    if not ended:
        raise FormatError(f"{path.name}: the last connection must end with = closed or = silent")
    dialogue.description = " ".join(comments)
    if not dialogue.description:
        raise FormatError(f"{path.name}: the file starts with a # comment saying what it proves")
    return dialogue


# --- macros (client lines) and placeholders (server lines) ------------------------------------
# {{ and }} are literal braces; {name} or {name:argument} a macro or placeholder; any other
# brace is an error (a typo must not pass as literal text).
_BRACES = re.compile(r"\{\{|\}\}|\{([a-z0-9_-]+)(?::([^{}]*))?\}|[{}]")
_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[rnt0\\])")


def unescape(text: str) -> bytes:
    """\\r \\n \\t \\0 \\xNN \\\\ as bytes; the rest UTF-8."""
    out = bytearray()
    last = 0
    for m in _ESCAPE.finditer(text):
        out += text[last:m.start()].encode()
        token = m.group(1)
        out += bytes([int(token[1:], 16)]) if token[0] == "x" else {
            "r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}[token]
        last = m.end()
    out += text[last:].encode()
    return bytes(out)


def prvs_tag(gateway: "Gateway", address: str, day_offset: int) -> str:
    """draft-levine-smtp-batv-01 computed here (not by the gateway) from the newest key in use:
    prvs=KDDDSSSSSS=address, DDD the expiry day (mod 1000), SSSSSS the first 3 bytes of
    HMAC-SHA1(secret, "KDDD" + local "@" + lower-case domain)."""
    with sqlite3.connect(gateway.data_dir / "postwarden.db") as db:
        row = db.execute("SELECT number, secret FROM batv_keys WHERE retired_at IS NULL "
                         "ORDER BY id DESC LIMIT 1").fetchone()
    assert row, "no BATV key: the sender domain must have batv=on"
    key, secret = row[0], bytes.fromhex(row[1])
    day = (int(time.time()) // 86400 + day_offset) % 1000
    head = f"{key}{day:03d}"
    local, domain = address.rsplit("@", 1)
    digest = hmac.new(secret, (head + local + "@" + domain.lower()).encode(), hashlib.sha1)
    return f"prvs={head}{digest.hexdigest()[:6]}={address}"


def expand_client(step: Step, gateway: "Gateway") -> bytes:
    def macro(m: re.Match) -> str:
        if m.group(0) in ("{{", "}}"):
            return m.group(0)[0]
        if m.group(1) is None:
            raise FormatError(f"line {step.line}: a lone {m.group(0)!r} (write it doubled)")
        name, argument = m.group(1), m.group(2)
        if name == "b64" and argument is not None:
            return base64.b64encode(unescape(argument)).decode()
        if name == "rep" and argument and ":" in argument:
            count, text = argument.split(":", 1)
            if count.isdigit():
                return text * int(count)
        if name == "prvs" and argument:
            return prvs_tag(gateway, argument, BATV_LIFETIME_DAYS)
        if name == "prvs-expired" and argument:
            return prvs_tag(gateway, argument, -1)
        raise FormatError(f"line {step.line}: unknown macro {m.group(0)!r}")

    text = _BRACES.sub(macro, step.text)
    if step.raw == "R":
        return unescape(text)
    data = text.encode()
    if step.raw == "D" and data.startswith(b"."):
        data = b"." + data  # RFC 5321 4.5.2 transparency
    return data + b"\r\n"


PLACEHOLDERS = {
    "queue_id": r"[0-9A-F]+",
    "utc": r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC",
    "date": r"\d{4}-\d{2}-\d{2}",
}


def expected_pattern(step: Step, host: str, client: str) -> re.Pattern:
    parts = []
    last = 0
    for m in _BRACES.finditer(step.text):
        parts.append(re.escape(step.text[last:m.start()]))
        last = m.end()
        token, name, argument = m.group(0), m.group(1), m.group(2)
        if token in ("{{", "}}"):
            parts.append(re.escape(token[0]))
        elif name is None:
            raise FormatError(f"line {step.line}: a lone {token!r} (write it doubled)")
        elif name == "host" and argument is None:
            parts.append(re.escape(host))
        elif name == "client" and argument is None:
            parts.append(re.escape(client))
        elif name == "sp" and argument is None:
            parts.append(" ")
        elif name == "re" and argument:
            parts.append(f"(?:{argument})")
        elif name in PLACEHOLDERS and argument is None:
            parts.append(PLACEHOLDERS[name])
        else:
            raise FormatError(f"line {step.line}: unknown placeholder {token!r}")
    parts.append(re.escape(step.text[last:]))
    return re.compile("".join(parts))


# --- the gateway -----------------------------------------------------------------------------
class Gateway(Node):
    """A node with the three kinds of listener on free loopback ports."""

    def __init__(self, root: pathlib.Path, config: dict):
        super().__init__(root, config)
        self.ports = {"implicit-tls": free_port(), "bounce": free_port()}

    def serve_command(self) -> list[str]:
        return super().serve_command() + [
            "--listen-tls", f"127.0.0.1:{self.ports['implicit-tls']}",
            "--listen-inbound", f"127.0.0.1:{self.ports['bounce']}"]

    def port_of(self, listener: str) -> int:
        return self.port if listener == "submission" else self.ports[listener]

    def run_setup(self, commands: list[tuple]) -> None:
        for command in commands:
            stdin = None
            if "<" in command:
                at = command.index("<")
                stdin = command[at + 1]
                stdin = stdin() if callable(stdin) else stdin
                command = command[:at]
            self.cli(*command, stdin=stdin)

    def stderr_tail(self, chars: int = 6000) -> str:
        text = self.log_text()
        return text if len(text) <= chars else "..." + text[-chars:]


class Peers:
    """The module's dnsmasq, clamd and gateways (one per profile, started when first needed)."""

    def __init__(self, root: pathlib.Path, dialogues: list[Dialogue]):
        self.root = root
        self.dialogues = dialogues
        self.dns: Dnsmasq | None = None
        self.clamd = None
        self.clamd_root: pathlib.Path | None = None
        self.gateways: dict[str, Gateway] = {}
        self.start_failures: dict[str, str] = {}

    def gateway(self, profile_name: str) -> Gateway:
        if profile_name in self.start_failures:
            pytest.fail(f"the {profile_name} gateway did not start: "
                        f"{self.start_failures[profile_name]}", pytrace=False)
        if profile_name in self.gateways:
            gateway = self.gateways[profile_name]
            assert gateway.running(), (
                f"the {profile_name} gateway is not running (an earlier dialogue ended it):\n"
                f"{gateway.stderr_tail()}")
            return gateway
        if not BINARY.is_file():
            pytest.fail(f"postwarden binary not found at {BINARY}: set PW_BINARY", pytrace=False)
        profile = PROFILES[profile_name]
        if self.dns is None:
            self.dns = Dnsmasq(self.root / "dns", ZONE)
            self.dns.start()
        config = merge_config(merge_config(BASE_CONFIG, COMMON_CONFIG), profile.config)
        config["delivery"]["dns_servers"] = [self.dns.server]
        if profile.clamd == "absent":
            config = merge_config(config, {"clamd": {
                "socket": str(self.root / f"{profile_name}-clamd.sock"), "timeout_ms": 2000}})
        elif profile.clamd == "running":
            if not os.access(CLAMD, os.X_OK):
                pytest.fail(f"{CLAMD} missing: install clamav-daemon (the e2e tests need it "
                            "too)", pytrace=False)
            if self.clamd is None:
                # A short path: a Unix socket path has at most 107 bytes.
                self.clamd_root = pathlib.Path(tempfile.mkdtemp(prefix="pw-tr-clamd-"))
                self.clamd = start_clamd(self.clamd_root)
            config = merge_config(config, {"clamd": {"socket": self.clamd.socket,
                                                     "timeout_ms": 10000}})
        gateway = Gateway(self.root / profile_name, config)
        self.gateways[profile_name] = gateway
        try:
            gateway.run_setup(BASE_SETUP)
            needed = sorted({s for d in self.dialogues if d.profile == profile_name
                             for s in d.setups})
            for name in needed:
                gateway.run_setup(SETUPS[name].commands)
            gateway.start()
        except AssertionError as e:  # CliError, or serve exiting before it accepts
            self.start_failures[profile_name] = str(e)
            pytest.fail(f"the {profile_name} gateway did not start: {e}", pytrace=False)
        return gateway

    def close(self) -> list[str]:
        problems = []
        for name, gateway in self.gateways.items():
            if gateway.proc is None:
                continue
            if gateway.running():
                try:
                    status = gateway.stop()
                except AssertionError as e:
                    problems.append(f"{name}: {e}")
                    continue
                if status != 0:
                    problems.append(f"{name}: serve exited with status {status} on SIGTERM")
            else:
                problems.append(f"{name}: serve had exited with {gateway.proc.returncode}")
            reports = gateway.sanitizer_reports()
            if reports:
                problems.append(f"{name}: sanitizer reports in stderr: {reports}\n"
                                f"{gateway.stderr_tail(20000)}")
        if self.clamd is not None:
            stop_clamd(self.clamd)
            shutil.rmtree(self.clamd_root, ignore_errors=True)
        if self.dns is not None:
            self.dns.stop()
        return problems


# --- the client ------------------------------------------------------------------------------
class Mismatch(AssertionError):
    pass


class Connection:
    """One client connection: raw bytes out, lines in, every wait bounded."""

    def __init__(self, port: int, source: str, implicit_tls: bool):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT_S,
                                             source_address=(source, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.eof = False
        if implicit_tls:
            self.upgrade()

    def upgrade(self) -> None:
        self.sock.settimeout(REPLY_TIMEOUT_S)
        self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=None)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def fill(self, deadline: float) -> bool:
        """Reads once; False on time-out. Sets eof when the server closes."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            return False
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return True
        self.buffer += chunk
        return True

    def line(self, timeout: float) -> bytes | None:
        """The next line without CRLF; None when the server closed first. Raises on time-out."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            if self.eof:
                return None
            if len(self.buffer) > MAX_LINE:
                raise Mismatch(f"server line longer than {MAX_LINE} octets")
            if not self.fill(deadline):
                raise socket.timeout()
        line, self.buffer = self.buffer.split(b"\n", 1)
        if not line.endswith(b"\r"):
            raise Mismatch(f"server line ends in a bare LF: {line!r}")
        return line[:-1]

    def quiet_for(self, seconds: float) -> bool:
        """True when neither data nor a close arrives within `seconds`."""
        if self.buffer or self.eof:
            return False
        self.fill(time.monotonic() + seconds)
        return not self.buffer and not self.eof

    def closed_within(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self.buffer and not self.eof:
            if not self.fill(deadline):
                return False
        return self.eof and not self.buffer

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def show(data: bytes) -> str:
    text = data.decode("utf-8", "backslashreplace")
    return text if len(text) <= 300 else f"{text[:300]}...({len(data)} octets)"


class Run:
    """Replays one dialogue; keeps what happened in the file's own format for the report."""

    def __init__(self, dialogue: Dialogue, gateway: Gateway, record: bool):
        self.dialogue = dialogue
        self.gateway = gateway
        self.record = record
        self.wire: Connection | None = None
        self.client = ""
        self.held: list[Connection] = []
        self.pending = b""
        self.seen: list[str] = []  # the dialogue as it really went

    def fail(self, step: Step, message: str) -> None:
        raise Mismatch(
            f"{self.dialogue.path.name}:{step.line}: {message}\n"
            f"--- what happened (C: sent, S: received) ---\n" + "\n".join(self.seen) +
            f"\n--- postwarden serve stderr ---\n{self.gateway.stderr_tail()}")

    def flush(self) -> None:
        if self.pending:
            try:
                self.wire.send(self.pending)
            except OSError as e:
                self.seen.append(f"(send failed: {e!r})")
            self.pending = b""

    def connect(self, listener: str, client: str) -> Connection:
        return Connection(self.gateway.port_of(listener), client, listener == "implicit-tls")

    def step(self, step: Step) -> None:
        if step.kind != "send":
            self.flush()
        if step.kind == "connect":
            if self.wire is not None:
                self.wire.close()
            self.client = step.client
            self.seen.append(f"@connect {step.listener} from {step.client}")
            try:
                self.wire = self.connect(step.listener, step.client)
            except (OSError, ssl.SSLError) as e:
                self.fail(step, f"cannot connect: {e!r}")
        elif step.kind == "open":
            for i in range(step.count):
                held = self.connect(step.listener, step.client)
                self.held.append(held)
                greeting = held.line(REPLY_TIMEOUT_S)
                if greeting is None or not greeting.startswith(b"220 "):
                    self.fail(step, f"held connection {i + 1} got {greeting!r}, not a 220")
            self.seen.append(f"@open {step.count} {step.listener} from {step.client}")
        elif step.kind == "send":
            data = expand_client(step, self.gateway)
            self.pending += data
            shown = data if step.raw == "R" else data[:-2]
            self.seen.append(f"{step.raw}: {show(shown)}")
        elif step.kind == "expect":
            self.expect(step)
        elif step.kind == "pause":
            time.sleep(step.millis / 1000)
            self.seen.append(f"= pause {step.millis}")
        elif step.kind == "tls":
            if self.wire.buffer:
                self.fail(step, f"plaintext after the 220 to STARTTLS: {self.wire.buffer!r}")
            try:
                self.wire.upgrade()
            except (OSError, ssl.SSLError) as e:
                self.fail(step, f"TLS handshake failed: {e!r}")
            self.seen.append("= tls")
        elif step.kind == "silent":
            if not self.wire.quiet_for(SILENCE_S):
                got = "a close" if self.wire.eof and not self.wire.buffer else show(
                    self.wire.buffer)
                self.fail(step, f"expected silence for {SILENCE_S} s, got {got}")
            self.seen.append("= silent")
        elif step.kind == "closed":
            if not self.wire.closed_within(CLOSE_TIMEOUT_S):
                got = show(self.wire.buffer) if self.wire.buffer else "nothing"
                self.fail(step, f"expected the server to close; it sent {got} and kept the "
                          f"connection open for {CLOSE_TIMEOUT_S} s")
            self.seen.append("= closed")

    def expect(self, step: Step) -> None:
        try:
            got = self.wire.line(REPLY_TIMEOUT_S)
        except socket.timeout:
            self.fail(step, f"expected S: {step.text}\n     got nothing within "
                      f"{REPLY_TIMEOUT_S} s")
        except Mismatch as e:
            self.fail(step, str(e))
        if got is None:
            self.fail(step, f"expected S: {step.text}\n     got the connection closed")
        text = got.decode("utf-8", "backslashreplace")
        self.seen.append(f"S: {show(got)}")
        pattern = expected_pattern(step, HOSTNAME, self.client)
        if not pattern.fullmatch(text):
            self.fail(step, f"expected S: {step.text}\n     got      S: {text}")

    def replay(self) -> None:
        try:
            for step in self.dialogue.steps:
                self.step(step)
        finally:
            for held in self.held:
                held.close()
            if self.wire is not None:
                self.wire.close()

    # --- record mode: write down what the server answers now --------------------------------
    def record_lines(self, until_closed: bool = False) -> list[str]:
        lines = []
        quiet = CLOSE_TIMEOUT_S if until_closed else RECORD_QUIET_S
        while True:
            try:
                got = self.wire.line(quiet)
            except socket.timeout:
                return lines
            if got is None:
                lines.append("= closed")
                return lines
            lines.append("S: " + recorded_text(got.decode("utf-8", "backslashreplace"),
                                               self.client))

    def replay_recording(self) -> str:
        out = [f"# {line}" for line in wrap(self.dialogue.description)]
        out += [f"@gateway {self.dialogue.profile}"] if self.dialogue.profile != "standard" else []
        out += [f"@setup {s}" for s in self.dialogue.setups]
        source = self.dialogue.path.read_text().split("\n")
        closed = False
        try:
            for step in self.dialogue.steps:
                if step.kind != "send" and self.pending:
                    self.flush()
                    got = self.record_lines()
                    out += got
                    closed = closed or "= closed" in got
                if step.kind == "expect":
                    continue  # the file's expectations are replaced by what arrives
                if step.kind in ("closed", "silent"):
                    if not closed:
                        got = self.record_lines(until_closed=step.kind == "closed")
                        out += got
                        if "= closed" not in got:
                            out.append("= silent")
                    closed = False
                    continue
                if step.kind == "connect":
                    self.step(step)
                    out.append(source[step.line - 1])
                    got = self.record_lines()
                    out += got
                    closed = "= closed" in got
                    continue
                if step.kind == "tls":
                    self.step(step)
                    out.append("= tls")
                    continue
                self.step(step)
                out.append(source[step.line - 1])
        finally:
            for held in self.held:
                held.close()
            if self.wire is not None:
                self.wire.close()
        return "\n".join(out) + "\n"


def recorded_text(text: str, client: str) -> str:
    text = text.replace("{", "{{").replace("}", "}}").replace(HOSTNAME, "{host}")
    text = re.sub(rf"(?<![\d.]){re.escape(client)}(?![\d])", "{client}", text)
    text = re.sub(r"(queued as |quarantine id )[0-9A-F]+", r"\1{queue_id}", text)
    if text.endswith(" "):
        text = text[:-1] + "{sp}"
    return text


def wrap(text: str, width: int = 96) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return lines + ([current] if current else [])


# --- pytest ------------------------------------------------------------------------------------
FILES = sorted(HERE.glob("*.txt"))
PARSED: dict[pathlib.Path, Dialogue | FormatError] = {}
for _path in FILES:
    try:
        PARSED[_path] = parse(_path)
    except FormatError as _e:
        PARSED[_path] = _e


@pytest.fixture(scope="module")
def peers(tmp_path_factory):
    dialogues = [d for d in PARSED.values() if isinstance(d, Dialogue)]
    module_peers = Peers(tmp_path_factory.mktemp("transcripts"), dialogues)
    yield module_peers
    problems = module_peers.close()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_there_are_dialogues():
    assert len(FILES) >= 25, f"only {len(FILES)} transcript files in {HERE}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_transcript(path: pathlib.Path, peers: Peers):
    dialogue = PARSED[path]
    if isinstance(dialogue, FormatError):
        pytest.fail(f"bad transcript file: {dialogue}", pytrace=False)
    gateway = peers.gateway(dialogue.profile)
    log_before = len(gateway.log_text())
    record_dir = os.environ.get("PW_TRANSCRIPT_RECORD")
    run = Run(dialogue, gateway, bool(record_dir))
    if record_dir:
        out = pathlib.Path(record_dir) / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(run.replay_recording())
        return
    failure = None
    try:
        run.replay()
    except (Mismatch, FormatError) as e:
        failure = str(e)
    if failure:
        pytest.fail(failure, pytrace=False)
    # A crash or a sanitizer report belongs to the dialogue that caused it.
    time.sleep(0.02)
    new_log = gateway.log_text()[log_before:]
    reports = [m for m in SANITIZER_MARKERS if m in new_log]
    assert not reports, f"sanitizer reports during {path.name}: {reports}\n{new_log[-20000:]}"
    assert gateway.running(), (
        f"serve exited with {gateway.proc.returncode} during {path.name}:\n"
        f"{gateway.stderr_tail()}")

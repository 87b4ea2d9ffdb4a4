"""A byte-exact SMTP client for end-to-end tests: raw sockets, bounded waits, and a transcript.

Trust: everything the server sends is checked, never assumed; every read has a deadline so a
server that hangs fails the test instead of hanging it.
"""
from __future__ import annotations

import base64
import email.utils
import re
import socket
import ssl
import time
from dataclasses import dataclass, field

REPLY_TIMEOUT_S = 10.0
# Long enough for a reply that is already on its way over loopback to arrive.
SILENCE_S = 0.7

_REPLY_LINE = re.compile(rb"^(\d{3})([ -])(.*)\r\n$", re.S)
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})$")
_QUEUED = re.compile(r"^Ok: queued as ([A-Za-z0-9._-]+)$")


def client_tls_context() -> ssl.SSLContext:
    """The server's certificate is self-signed: encrypt, but do not verify."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


@dataclass
class Reply:
    code: int
    texts: list[str]  # the text after "NNN-" / "NNN " on each line
    raw: bytes

    @property
    def first(self) -> str:
        return self.texts[0]

    @property
    def enhanced(self) -> str | None:
        """The RFC 2034 enhanced status code of the first line, when it has one."""
        token = self.texts[0].split(" ", 1)[0]
        return token if _ENHANCED.match(token) else None

    @property
    def line(self) -> str:
        """The whole last line without CRLF, e.g. '550 5.7.1 Relay not permitted!'."""
        return f"{self.code} {self.texts[-1]}"

    @property
    def keywords(self) -> list[str]:
        """EHLO keywords (every line but the first), upper-cased."""
        return [t.upper() for t in self.texts[1:]]

    def queue_id(self) -> str:
        assert self.code == 250 and self.enhanced == "2.0.0", f"not accepted: {self.raw!r}"
        match = _QUEUED.match(self.texts[-1].split(" ", 1)[1])
        assert match, f"250 without 'Ok: queued as <ID>': {self.raw!r}"
        return match.group(1)

    def __str__(self) -> str:
        return self.raw.decode("utf-8", "replace").rstrip()


class ServerClosed(Exception):
    pass


@dataclass
class SmtpWire:
    """One SMTP connection to 127.0.0.1:port from `source` (any address in 127/8)."""

    port: int
    source: str = "127.0.0.1"
    timeout: float = REPLY_TIMEOUT_S
    host: str = "127.0.0.1"
    transcript: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sock = socket.create_connection(
            (self.host, self.port), timeout=self.timeout, source_address=(self.source, 0))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.tls = False

    # --- transcript ------------------------------------------------------------------------
    def dump(self) -> str:
        out = []
        for who, data in self.transcript:
            for line in data.splitlines(keepends=True) or [b""]:
                shown = line if len(line) <= 300 else line[:300] + b"...(%d octets)" % len(line)
                out.append(f"{who}: {shown!r}")
        return "\n".join(out)

    def fail(self, message: str) -> None:
        raise AssertionError(f"{message}\n--- transcript ---\n{self.dump()}")

    # --- bytes -----------------------------------------------------------------------------
    def send(self, data: bytes) -> None:
        self.transcript.append(("C", data))
        self.sock.sendall(data)

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("deadline passed")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError):
            chunk = b""
        if not chunk:
            raise ServerClosed()
        self.transcript.append(("S", chunk))
        self.buffer += chunk

    def read_line(self, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while b"\r\n" not in self.buffer:
            if len(self.buffer) > 100_000:
                self.fail("server line longer than 100000 octets")
            self._fill(deadline)
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line + b"\r\n"

    def read_reply(self, timeout: float | None = None) -> Reply:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        raw = b""
        texts: list[str] = []
        code = None
        while True:
            try:
                line = self.read_line(max(0.0, deadline - time.monotonic()))
            except socket.timeout:
                self.fail(f"no complete reply within {timeout or self.timeout} s")
            except ServerClosed:
                self.fail("server closed the connection instead of replying")
            raw += line
            match = _REPLY_LINE.match(line)
            if not match:
                self.fail(f"malformed reply line {line!r}")
            line_code = int(match.group(1))
            if code is not None and line_code != code:
                self.fail(f"reply code changed inside a multi-line reply: {raw!r}")
            code = line_code
            texts.append(match.group(3).decode("utf-8", "replace"))
            if match.group(2) == b" ":
                return Reply(code, texts, raw)

    def reply_or_close(self, timeout: float | None = None) -> Reply | None:
        """The next reply, or None when the server closes the connection before sending one."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while b"\r\n" not in self.buffer:
                self._fill(deadline)
        except ServerClosed:
            if self.buffer:
                self.fail(f"server closed the connection inside a reply: {self.buffer!r}")
            return None
        except socket.timeout:
            self.fail(f"neither a reply nor a close within {timeout or self.timeout} s")
        return self.read_reply(max(0.1, deadline - time.monotonic()))

    def read_until_closed(self, timeout: float | None = None) -> bytes:
        """Everything the server still sends before it closes; fails if it does not close."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            while True:
                self._fill(deadline)
        except ServerClosed:
            rest, self.buffer = self.buffer, b""
            return rest
        except socket.timeout:
            self.fail(f"server did not close the connection within {timeout or self.timeout} s")

    def cmd(self, line: str | bytes, timeout: float | None = None) -> Reply:
        data = line.encode() if isinstance(line, str) else line
        self.send(data + b"\r\n")
        return self.read_reply(timeout)

    def expect(self, line: str | bytes, code: int, enhanced: str | None = None,
               text: str | None = None, timeout: float | None = None) -> Reply:
        """Sends one command and asserts the reply's code (and enhanced code, and text)."""
        reply = self.cmd(line, timeout)
        self.check(reply, code, enhanced, text, f"after {line!r}")
        return reply

    def check(self, reply: Reply, code: int, enhanced: str | None = None,
              text: str | None = None, where: str = "") -> Reply:
        if reply.code != code:
            self.fail(f"expected {code} {where}, got {reply}")
        if enhanced is not None and reply.enhanced != enhanced:
            self.fail(f"expected enhanced code {enhanced} {where}, got {reply}")
        if text is not None and reply.line != text:
            self.fail(f"expected exactly {text!r} {where}, got {reply.line!r}")
        return reply

    def greeting(self) -> Reply:
        return self.read_reply()

    def assert_silent(self, seconds: float = SILENCE_S) -> None:
        """Nothing (neither data nor a close) arrives for `seconds`."""
        if self.buffer:
            self.fail(f"unexpected data from server: {self.buffer!r}")
        try:
            self._fill(time.monotonic() + seconds)
        except socket.timeout:
            return
        except ServerClosed:
            self.fail("server closed the connection; it should still be waiting")
        self.fail(f"unexpected data from server: {self.buffer!r}")

    def assert_closed(self, timeout: float | None = None) -> None:
        """The server closes the connection within `timeout` without sending anything more."""
        if self.buffer:
            self.fail(f"unexpected data from server before close: {self.buffer!r}")
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            self._fill(deadline)
        except ServerClosed:
            return
        except socket.timeout:
            self.fail("server did not close the connection")
        self.fail(f"unexpected data from server before close: {self.buffer!r}")

    # --- SMTP steps ------------------------------------------------------------------------
    def ehlo(self, name: str = "client.e2e.test") -> Reply:
        return self.expect(f"EHLO {name}", 250)

    def starttls(self, pipelined: bytes = b"") -> None:
        """STARTTLS (with extra bytes in the same packet), then the TLS handshake."""
        self.send(b"STARTTLS\r\n" + pipelined)
        reply = self.read_reply()
        self.check(reply, 220, "2.0.0", where="after STARTTLS")
        self.handshake()

    def handshake(self) -> None:
        if self.buffer:
            self.fail(f"plaintext after the 220 to STARTTLS: {self.buffer!r}")
        self.sock.settimeout(self.timeout)
        try:
            self.sock = client_tls_context().wrap_socket(self.sock, server_hostname=None)
        except (ssl.SSLError, OSError) as e:
            self.fail(f"TLS handshake failed: {e!r}")
        self.transcript.append(("C", b"<TLS handshake done: %s>\r\n" % self.sock.version().encode()))
        self.tls = True

    def auth_plain(self, user: str, password: str, initial_response: bool = True) -> Reply:
        blob = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        if initial_response:
            return self.cmd(f"AUTH PLAIN {blob}")
        reply = self.cmd("AUTH PLAIN")
        self.check(reply, 334, where="after AUTH PLAIN")
        return self.cmd(blob)

    def auth_login(self, user: str, password: str) -> Reply:
        reply = self.cmd("AUTH LOGIN")
        self.check(reply, 334, where="after AUTH LOGIN")
        if reply.texts[0] != base64.b64encode(b"Username:").decode():
            self.fail(f"AUTH LOGIN did not ask for 'Username:': {reply}")
        reply = self.cmd(base64.b64encode(user.encode()))
        self.check(reply, 334, where="after the AUTH LOGIN user name")
        if reply.texts[0] != base64.b64encode(b"Password:").decode():
            self.fail(f"AUTH LOGIN did not ask for 'Password:': {reply}")
        return self.cmd(base64.b64encode(password.encode()))

    def data(self, message: bytes, end: bytes = b".\r\n") -> Reply:
        """DATA, then `message` (dot-stuffed, ending in CRLF) and ".CRLF"; returns the reply."""
        self.expect("DATA", 354)
        self.send(message + end)
        return self.read_reply()

    def submit(self, mail_from: str, rcpts: list[str], message: bytes,
               mail_params: str = "") -> Reply:
        """One whole transaction whose envelope must be accepted; returns the reply to the data."""
        self.expect(f"MAIL FROM:<{mail_from}>{mail_params}", 250, "2.1.0")
        for rcpt in rcpts:
            self.expect(f"RCPT TO:<{rcpt}>", 250, "2.1.5")
        return self.data(message)

    def quit(self) -> None:
        try:
            self.expect("QUIT", 221, "2.0.0")
        finally:
            self.close()

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "SmtpWire":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def rfc5322_now() -> str:
    """The Date field value for now (RFC 5322 3.3)."""
    return email.utils.formatdate(localtime=True)


def message(subject: str = "e2e", body: str = "Hello from the end-to-end tests.",
            sender: str = "alice@example.com", to: str = "bob@example.net") -> bytes:
    """A small, valid RFC 5322 message with CRLF line ends (no line starts with a dot). It has
    Date and Message-ID, as a mail user agent writes them, so the gateway adds neither."""
    lines = [
        f"From: <{sender}>",
        f"To: <{to}>",
        f"Subject: {subject}",
        f"Date: {rfc5322_now()}",
        "Message-ID: <%s.%d@e2e.test>" % (subject.replace(" ", "-"), time.monotonic_ns()),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        *body.split("\n"),
    ]
    return "\r\n".join(lines).encode() + b"\r\n"

"""Memory and CPU bounded for any message (issue 15, items 4 and 5), end to end: a MIME part bomb
and a header-field bomb inside a part are refused with a reason within seconds, and the server's
peak memory stays bounded; a message with 80,000 To: fields is refused by [smtp]
max_header_fields before any scan or DKIM signature runs."""
import re
import time

from delivery_fixtures import MX1_ADDR, dns, make_gateway, mx_port, receivers

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

IP_USER = "127.0.0.2/32"
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
HEAD = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: bomb\r\nDate: Sun, 6 Dec 2026 10:00:00 +0000\r\n"
        "Message-ID: <bomb@sender.test>\r\nMIME-Version: 1.0\r\n")
MB = 1024 * 1024


def part_bomb() -> bytes:
    """The attack of item 4: one Content-Type, then "--B" and two empty lines a million times."""
    return (HEAD + 'Content-Type: multipart/mixed; boundary="B"\r\n\r\n').encode() + \
        b"--B\r\n\r\n\r\n" * 1_000_000


def header_bomb() -> bytes:
    """One part whose header section is 1.8 million fields (GMime: 4.9 s and 860 MB)."""
    return (HEAD + "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n").encode() + \
        b"X:a\r\n" * 1_800_000 + b"\r\nbody\r\n--B--\r\n"


def peak_rss(pid: int) -> int:
    """VmHWM of the process, in bytes."""
    with open(f"/proc/{pid}/status") as status:
        match = re.search(r"^VmHWM:\s+(\d+) kB", status.read(), re.M)
    return int(match.group(1)) * 1024


def send(gw, data: bytes, timeout: float = 30.0):
    """One transaction from the IP user; returns (reply, seconds from the end of data)."""
    wire = gw.session(source="127.0.0.2")
    wire.timeout = timeout
    try:
        wire.expect(f"MAIL FROM:<{SENDER}>", 250)
        wire.expect(f"RCPT TO:<{RCPT}>", 250)
        wire.expect("DATA", 354)
        wire.send(data + b".\r\n")
        sent = time.monotonic()
        reply = wire.read_reply()
        return reply, time.monotonic() - sent
    finally:
        wire.close()


def scanning_gateway(make_gateway):
    gw = make_gateway(start=False)
    gw.cli("user", "set", IP_USER, "block_macros=on", "block_pua=on")
    gw.start()
    return gw


def test_mime_part_bomb_is_refused_quickly_and_memory_stays_bounded(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = scanning_gateway(make_gateway)
    bomb = part_bomb()
    assert len(bomb) > 9_000_000
    before = peak_rss(gw.proc.pid)
    reply, took = send(gw, bomb)
    grown = peak_rss(gw.proc.pid) - before
    assert took < 5.0, f"the part bomb took {took:.1f} s (19 s before the guard)"
    assert grown < 300 * MB, f"peak RSS grew by {grown // MB} MB (1.48 GB before the guard)"
    assert reply.code == 550 and "MIME parts" in reply.line and "not parsed" in reply.line, \
        reply.line
    reply, took = send(gw, header_bomb())
    assert reply.code == 550 and "header fields" in reply.line, reply.line
    assert took < 5.0, f"the header bomb took {took:.1f} s"
    assert peak_rss(gw.proc.pid) - before < 300 * MB
    decisions = gw.cli("log", "decisions", "--check", "attachments", "--json").stdout
    assert "attachment_scan_limit" in decisions


def test_forty_thousand_to_fields_are_refused_before_scans_and_signing(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    gw = scanning_gateway(make_gateway)
    # 40,000 fields (760 KB) stay under [smtp] data_memory_bytes (1 MiB), the largest header
    # section taken at all (test_large_messages.py): the field count is what refuses them.
    fields = "".join(f"To: r{i}@dest.test\r\n" for i in range(40_000))
    many = (f"From: {SENDER}\r\nSubject: many\r\n" + fields + "\r\nhello\r\n").encode()
    reply, took = send(gw, many)
    assert reply.code == 552 and reply.enhanced == "5.3.4", reply
    assert "more than 1000 header fields" in reply.line, reply.line
    assert took < 5.0
    # Just under the bound is an ordinary message.
    fields = "".join(f"To: r{i}@dest.test\r\n" for i in range(990))
    reply, _ = send(gw, (f"From: {SENDER}\r\nSubject: fine\r\n" + fields + "\r\nhi\r\n").encode())
    assert reply.code == 250, reply
    dest.wait_for(1, timeout=20)

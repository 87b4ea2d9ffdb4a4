"""Archive entries the scanner cannot read are refused when block_pua or block_macros is on
(issue 15, item 11; fail closed): an ELF executable named invoice.pdf in a ZIP entry compressed
with LZMA (libzip here has no LZMA), with a bad CRC, or encrypted (traditional PKWARE), each gets
550 naming the entry; a ZIP holding a real PDF still passes. Every archive is built here."""
import binascii
import email
import email.policy
import io
import json
import struct
import time
import zipfile
from email.message import EmailMessage

from delivery_fixtures import MX1_ADDR, dns, make_gateway, mx_port, receivers

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

IP_USER = "127.0.0.2/32"
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
ENTRY = "invoice.pdf"


def elf() -> bytes:
    """A minimal x86-64 ELF executable header (libmagic: application/x-executable)."""
    header = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    header += struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x400078, 64, 0, 0, 64, 56, 1, 0, 0, 0)
    program = struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 0x100, 0x100, 0x1000)
    return header + program + b"\xcc" * 136


def pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")


def plain_zip(content: bytes, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        z.writestr(ENTRY, content)
    return out.getvalue()


def bad_crc_zip(content: bytes) -> bytes:
    """A stored entry whose CRC-32 (local header and central directory alike) is wrong."""
    data = bytearray(plain_zip(content, zipfile.ZIP_STORED))
    crc = struct.pack("<I", (binascii.crc32(content) ^ 0xDEADBEEF) & 0xFFFFFFFF)
    data[14:18] = crc  # local file header
    central = data.index(b"PK\x01\x02")
    data[central + 16:central + 20] = crc
    return bytes(data)


class ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1)."""

    def __init__(self, password: bytes):
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self.update(byte)

    @staticmethod
    def crc(value: int, byte: int) -> int:
        return binascii.crc32(bytes([byte]), value ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def update(self, byte: int) -> None:
        self.keys[0] = self.crc(self.keys[0], byte)
        self.keys[1] = (self.keys[1] + (self.keys[0] & 0xFF)) & 0xFFFFFFFF
        self.keys[1] = (self.keys[1] * 134775813 + 1) & 0xFFFFFFFF
        self.keys[2] = self.crc(self.keys[2], self.keys[1] >> 24)

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for byte in data:
            temp = (self.keys[2] | 2) & 0xFFFF
            out.append(byte ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self.update(byte)
        return bytes(out)


def encrypted_zip(content: bytes, password: bytes = b"secret") -> bytes:
    """One stored entry encrypted with a password (general purpose flag bit 0)."""
    crc = binascii.crc32(content) & 0xFFFFFFFF
    header12 = bytes(range(11)) + bytes([crc >> 24])
    body = ZipCrypto(password).encrypt(header12 + content)
    name = ENTRY.encode()
    common = struct.pack("<HHHHIII", 1, 0, 0, 0, crc, len(body), len(content))
    local = b"PK\x03\x04" + struct.pack("<H", 20) + common + struct.pack("<HH", len(name), 0)
    local += name + body
    central = (b"PK\x01\x02" + struct.pack("<HH", 20, 20) + common +
               struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, 0) + name)
    end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 1, 1, len(central), len(local), 0)
    return local + central + end


def with_zip(archive: bytes, subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = RCPT
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}.{time.monotonic_ns()}@e2e.test>"
    msg.set_content("See the attachment.")
    msg.add_attachment(archive, maintype="application", subtype="zip", filename="invoice.zip")
    return msg.as_bytes(policy=email.policy.SMTP)


def attempt(gw, data: bytes):
    wire = gw.session(source="127.0.0.2")
    try:
        wire.expect(f"MAIL FROM:<{SENDER}>", 250)
        wire.expect(f"RCPT TO:<{RCPT}>", 250)
        reply = wire.data(data)
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def test_the_builders_make_what_they_say():
    assert zipfile.ZipFile(io.BytesIO(plain_zip(elf(), zipfile.ZIP_LZMA))).infolist()[0] \
        .compress_type == zipfile.ZIP_LZMA
    with zipfile.ZipFile(io.BytesIO(bad_crc_zip(elf()))) as z:
        assert z.testzip() == ENTRY  # the CRC check fails
    with zipfile.ZipFile(io.BytesIO(encrypted_zip(elf()))) as z:
        assert z.infolist()[0].flag_bits & 1
        assert z.read(ENTRY, pwd=b"secret") == elf()  # a real, decryptable entry


def test_entries_that_cannot_be_read_are_refused_with_block_pua(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    gw = make_gateway(start=False)
    gw.cli("user", "set", IP_USER, "block_pua=on")
    gw.start()
    cases = {"lzma": plain_zip(elf(), zipfile.ZIP_LZMA), "bad crc": bad_crc_zip(elf()),
             "encrypted": encrypted_zip(elf())}
    for subject, archive in cases.items():
        reply = attempt(gw, with_zip(archive, subject))
        assert reply.code == 550, f"{subject}: {reply.line}"
        assert "invoice.zip/invoice.pdf" in reply.line and "cannot be inspected" in reply.line, \
            f"{subject}: {reply.line}"
    decisions = json.loads(gw.cli("log", "decisions", "--check", "attachments", "--json").stdout)
    assert sum("attachment_unreadable" in json.dumps(d) for d in decisions) >= 3
    # A readable archive with a real PDF passes; so does the same PDF compressed by bzip2.
    assert attempt(gw, with_zip(plain_zip(pdf()), "real pdf")).code == 250
    assert attempt(gw, with_zip(plain_zip(pdf(), zipfile.ZIP_BZIP2), "bzip2 pdf")).code == 250
    got = dest.wait_for(2, timeout=20)
    assert sorted(email.message_from_bytes(m.raw)["Subject"] for m in got) == \
        ["bzip2 pdf", "real pdf"]


def test_block_macros_alone_also_refuses_what_cannot_be_read(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw = make_gateway(start=False)
    gw.cli("user", "set", IP_USER, "block_macros=on")
    gw.start()
    reply = attempt(gw, with_zip(encrypted_zip(b"PK\x03\x04 an encrypted document"), "macros"))
    assert reply.code == 550 and "cannot be inspected" in reply.line, reply.line

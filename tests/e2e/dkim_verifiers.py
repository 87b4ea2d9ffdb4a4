"""Independent DKIM verification for the e2e tests (F-DKIM, issue 6 item 3): two verifiers that
are not ours -- dkimpy (python3-dkim) and OpenDKIM (opendkim-testmsg, opendkim-testkey from
opendkim-tools) -- both resolving the public keys through a test's own dnsmasq, over real DNS
and on loopback only.

How each one is pointed at the test's DNS server without touching the machine's resolver:
- dkimpy: its `dnsfunc` hook, answered with dnspython asking our dnsmasq.
- opendkim-testkey (built with libunbound): `-x CONF` whose `ResolverConfiguration` is an
  unbound config forwarding every name to our dnsmasq (`.test` is one of unbound's built-in
  local zones, so it is switched back to normal resolution with `local-zone: "test." nodefault`).
- opendkim-testmsg reads no configuration and resolves through libresolv, i.e. /etc/resolv.conf,
  which has no port: it runs in a private mount namespace (`unshare -m`) where our own
  resolv.conf is bind-mounted over /etc/resolv.conf, naming our dnsmasq on port 53 of a loopback
  address of its own. The machine's /etc/resolv.conf is never modified.

Two quirks of Debian's OpenDKIM 2.11 that the tests must respect: opendkim-testmsg checks
headers strictly (a message without Date: is a "syntax error" before any signature is looked
at), and opendkim-testkey only compares RSA private keys (for ed25519 it checks the published
record alone, the signatures verified by opendkim-testmsg prove the key pair matches).
"""
from __future__ import annotations

import base64
import email
import email.policy
import os
import pathlib
import random
import re
import socket
import subprocess
import time

import dkim
import dkim.util
import dns.exception
import dns.message
import dns.query
import dns.rdatatype

from delivery_fixtures import DNSMASQ, PEER_START_TIMEOUT_S, stop_process

OPENDKIM_TESTMSG = "/usr/sbin/opendkim-testmsg"
OPENDKIM_TESTKEY = "/usr/sbin/opendkim-testkey"
UNSHARE = "/usr/bin/unshare"
MOUNT = "/usr/bin/mount"
VERIFIER_TIMEOUT_S = 20.0
TXT_CHUNK = 250  # a TXT character-string holds at most 255 octets


class DkimDns:
    """dnsmasq on port 53 of a loopback address of its own (127.0.53.x), serving `records`
    (dnsmasq options, e.g. the delivery zone) and the DKIM TXT records given to start()."""

    def __init__(self, root: pathlib.Path, records: list[str]):
        self.root = root
        self.records = list(records)
        self.addr = self._free_address()
        self.proc: subprocess.Popen | None = None
        root.mkdir(parents=True, exist_ok=True)
        self.log = root / "dnsmasq.log"
        self.resolv_conf = root / "resolv.conf"
        self.resolv_conf.write_text(f"nameserver {self.addr}\noptions timeout:2 attempts:2\n")
        self.unbound_conf = root / "unbound.conf"
        self.unbound_conf.write_text(
            "server:\n"
            "    do-not-query-localhost: no\n"
            "    module-config: \"iterator\"\n"
            "    local-zone: \"test.\" nodefault\n"
            "forward-zone:\n"
            "    name: \".\"\n"
            f"    forward-addr: {self.addr}@53\n")
        self.testkey_conf = root / "opendkim-testkey.conf"
        self.testkey_conf.write_text(f"ResolverConfiguration {self.unbound_conf}\n")

    @staticmethod
    def _free_address() -> str:
        """A 127.0.53.x whose port 53 (UDP and TCP) nobody holds."""
        candidates = list(range(2, 251))
        random.shuffle(candidates)
        for last in candidates[:40]:
            addr = f"127.0.53.{last}"
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
                        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    u.bind((addr, 53))
                    t.bind((addr, 53))
                return addr
            except OSError:
                continue
        raise AssertionError("no loopback address with a free port 53 in 127.0.53.0/24")

    @property
    def server(self) -> str:
        return f"{self.addr}:53"

    def start(self, txt: dict[str, str] | None = None) -> "DkimDns":
        """Starts dnsmasq with the zone and `txt` ({name: record}; a record longer than one
        character-string is split into several, as a DNS operator would publish it)."""
        args = list(self.records)
        for name, record in (txt or {}).items():
            assert "," not in record, f"dnsmasq splits TXT data at commas: {record!r}"
            chunks = [record[i:i + TXT_CHUNK] for i in range(0, len(record), TXT_CHUNK)]
            # On the command line dnsmasq takes the strings as they are (quotes would be kept
            # as data): name,string1,string2,...
            args.append(f"--txt-record={name}," + ",".join(chunks))
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [DNSMASQ, "--no-daemon", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                 "--port=53", f"--listen-address={self.addr}", "--bind-interfaces",
                 "--local=/test/", "--log-queries", "--log-facility=-", *args],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + PEER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"dnsmasq exited:\n{self.log.read_text()}"
            try:
                self.query("mx1.dest.test", "A", timeout=0.3)
                return self
            except (OSError, dns.exception.Timeout):
                time.sleep(0.05)
        raise AssertionError(f"dnsmasq did not answer on {self.server}:\n{self.log.read_text()}")

    def stop(self) -> None:
        stop_process(self.proc)

    def query(self, name: str, rdtype: str, timeout: float = 2.0) -> dns.message.Message:
        request = dns.message.make_query(name, rdtype)
        return dns.query.udp(request, self.addr, port=53, timeout=timeout)

    def dnsfunc(self, name, timeout=5):
        """dkimpy's TXT lookup hook: the strings of the first TXT record joined, or None."""
        name = name.decode() if isinstance(name, bytes) else name
        answer = self.query(name.rstrip("."), "TXT", timeout=min(timeout, 5))
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                return b"".join(list(rrset)[0].strings)
        return None


# --- the verifiers ---------------------------------------------------------------------------
def dkimpy_verify(raw: bytes, dns_server: DkimDns) -> tuple[bool, str]:
    """dkimpy's verdict on the first DKIM-Signature, with its reason when it fails."""
    checker = dkim.DKIM(raw, minkey=1024, timeout=5)
    try:
        ok = checker.verify(dnsfunc=dns_server.dnsfunc)
    except dkim.DKIMException as e:
        return False, f"{type(e).__name__}: {e}"
    return bool(ok), "" if ok else "signature did not verify"


def opendkim_testmsg(raw: bytes, dns_server: DkimDns) -> tuple[int, str]:
    """opendkim-testmsg in verify mode on `raw`, resolving through the test's dnsmasq: (exit
    status, stderr). 0 means the signature verified."""
    script = f'{MOUNT} --bind "$1" /etc/resolv.conf && exec {OPENDKIM_TESTMSG}'
    result = subprocess.run(
        [UNSHARE, "--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh",
         str(dns_server.resolv_conf)],
        input=raw, capture_output=True, timeout=VERIFIER_TIMEOUT_S)
    return result.returncode, result.stderr.decode(errors="replace").strip()


def opendkim_testkey(domain: str, selector: str, dns_server: DkimDns,
                     key_file: str | None = None) -> tuple[int, str]:
    """opendkim-testkey for selector._domainkey.domain through the test's dnsmasq; with
    `key_file` (RSA only) it also checks that the record holds that key's public half."""
    args = [OPENDKIM_TESTKEY, "-d", domain, "-s", selector, "-vvv",
            "-x", str(dns_server.testkey_conf)]
    if key_file is not None:
        args += ["-k", str(key_file)]
    result = subprocess.run(args, capture_output=True, text=True, timeout=VERIFIER_TIMEOUT_S)
    return result.returncode, (result.stdout + result.stderr).strip()


def signature_tags(raw: bytes, index: int = 0) -> dict[str, str]:
    """The tags of the index-th DKIM-Signature of `raw`, whitespace removed from the values."""
    values = dkim_signature_values(raw)
    assert len(values) > index, f"no DKIM-Signature #{index} in:\n{raw[:2000]!r}"
    tags = dkim.util.parse_tag_value(values[index])
    return {k.decode(): re.sub(r"\s+", "", v.decode()) for k, v in tags.items()}


def dkim_signature_values(raw: bytes) -> list[bytes]:
    """The raw (unfolded) values of every DKIM-Signature header field of `raw`."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    fields = re.split(rb"\r?\n(?![ \t])", head)
    out = []
    for field in fields:
        name, sep, value = field.partition(b":")
        if sep and name.strip().lower() == b"dkim-signature":
            out.append(re.sub(rb"\r?\n", b"", value))
    return out


def tamper_body(raw: bytes) -> bytes:
    """`raw` with one octet of the body changed (a letter after the header/body boundary), or
    an empty body given one line."""
    boundary = raw.find(b"\r\n\r\n")
    assert boundary > 0, "no header/body boundary"
    for i in range(boundary + 4, len(raw)):
        if chr(raw[i]).isalpha():
            flipped = raw[i] ^ 0x20  # the same letter in the other case
            return raw[:i] + bytes([flipped]) + raw[i + 1:]
    return raw + b"x\r\n"


def tamper_header(raw: bytes, name: bytes = b"Subject") -> bytes:
    """`raw` with one octet of a signed header field's value changed."""
    match = re.search(rb"(?im)^" + re.escape(name) + rb":[ \t]*([A-Za-z0-9])", raw)
    assert match, f"no {name!r} header with a value to change"
    i = match.start(1)
    replacement = b"Z" if raw[i:i + 1] != b"Z" else b"Y"
    return raw[:i] + replacement + raw[i + 1:]


# --- keys made by the tests themselves (the harness control) -------------------------------
def openssl_key(root: pathlib.Path, algorithm: str, name: str) -> tuple[pathlib.Path, bytes, str]:
    """A key made with openssl: (PEM file, private key as dkimpy wants it, TXT record)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    pem = root / f"{name}.pem"
    if algorithm == "rsa":
        cmd = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    else:
        cmd = ["openssl", "genpkey", "-algorithm", "ed25519"]
    subprocess.run(cmd + ["-out", str(pem)], check=True, capture_output=True, timeout=60)
    os.chmod(pem, 0o600)
    key = load_pem_private_key(pem.read_bytes(), None)
    if algorithm == "rsa":
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return pem, pem.read_bytes(), "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    return (pem, base64.b64encode(seed),
            "v=DKIM1; k=ed25519; p=" + base64.b64encode(public).decode())


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)

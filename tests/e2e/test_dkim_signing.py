"""DKIM signing (F-DKIM, F-DKIM-SEL; issue 6 item 3), checked by two verifiers that are not ours:
every message that goes through postwarden for a user with a selector arrives at the receiving
MX signed, and verifies with dkimpy and with OpenDKIM (opendkim-testmsg), the public keys served
by the test's own dnsmasq; opendkim-testkey agrees that the record `dkim keygen` printed holds
the key. For rsa and ed25519, relaxed/relaxed and simple/simple (rsa also the mixed pairs), on
the messages that usually break signers: multipart with an attachment, 8-bit UTF-8
(BODY=8BITMIME), a long folded Subject and other folded headers, trailing blank lines, an empty
body, trailing spaces and tabs, lines that start with a dot (dot-stuffed on the wire).

Also: Date and Message-ID that the gateway adds to a message without them (RFC 6409 8.2, 8.3)
are signed and verify; the user's selector wins over the domain's, a selector without a key
sends unsigned (and the message is still delivered), `dkim check` says ok for the published
record and fails for a wrong or missing one, and a received message changed by one octet fails
both verifiers -- the same harness, run first on messages that dkimpy signs itself, shows it can
fail.

See dkim_verifiers.py for how OpenDKIM is pointed at the test's DNS server.
"""
from __future__ import annotations

import base64
import json
import os
import re
import stat
import time

import dkim
import pytest

from delivery_fixtures import (GATEWAY_HOSTNAME, MX1_ADDR, SENDER, SENDER_DOMAIN, ZONE,
                               make_gateway, mx_port, receivers, stuffed)
from dkim_verifiers import (DkimDns, dkim_signature_values, dkimpy_verify, opendkim_testkey,
                           opendkim_testmsg, openssl_key, signature_tags, tamper_body,
                           tamper_header)

__all__ = ["make_gateway", "mx_port", "receivers"]  # fixtures used by name

CANONICALIZATIONS = ["relaxed/relaxed", "simple/simple"]
ALGORITHMS = ["rsa", "ed25519"]
SIGNATURE_ALGORITHM = {"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}
RCPT = "bob@dest.test"


@pytest.fixture
def dns(tmp_path):
    """The DNS server of the test (overrides delivery_fixtures' `dns` for make_gateway): the
    delivery zone plus the DKIM records, on port 53 of its own loopback address. Not started:
    the test publishes its records with dns.start({name: record}) once it has its keys."""
    server = DkimDns(tmp_path / "dns", ZONE)
    yield server
    server.stop()


# --- the messages ------------------------------------------------------------------------------
def date_header() -> str:
    return "Date: " + time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())


def headers(name: str, sender: str, extra: list[str] | None = None,
            content_type: str = "text/plain; charset=us-ascii") -> list[str]:
    # Date: OpenDKIM's strict header check refuses a message without one.
    return [f"From: Alice Example <{sender}>", f"To: <{RCPT}>", f"Subject: dkim {name}",
            date_header(), f"Message-ID: <dkim-{name}.{time.monotonic_ns()}@e2e.test>",
            "MIME-Version: 1.0", f"Content-Type: {content_type}", *(extra or [])]


def crlf(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def messages(sender: str) -> list[tuple[str, bytes, str]]:
    """(name, message with CRLF line ends, MAIL FROM parameters) for each hard case."""
    attachment = base64.b64encode(bytes(range(256)) * 12).decode()
    attachment_lines = [attachment[i:i + 76] for i in range(0, len(attachment), 76)]
    multipart = crlf(headers("multipart", sender, content_type='multipart/mixed; boundary="b1"') + [
        "", "This is a multi-part message in MIME format.", "", "--b1",
        "Content-Type: text/plain; charset=us-ascii", "", "See the attachment.", "", "--b1",
        "Content-Type: application/octet-stream; name=\"blob.bin\"",
        "Content-Transfer-Encoding: base64",
        "Content-Disposition: attachment; filename=\"blob.bin\"", "", *attachment_lines, "",
        "--b1--", ""])
    utf8_body = ("Grüße aus Köln — naïve façade, 日本語のテキスト, emoji 📨\r\n"
                 "zweite Zeile: ÄÖÜ äöü ß\r\n").encode("utf-8")
    eight_bit = crlf(headers("8bit", sender, ["Content-Transfer-Encoding: 8bit"],
                             content_type="text/plain; charset=utf-8") + [""]) + utf8_body
    long_subject = ("dkim long-subject " + " ".join(f"word{i:02d}" for i in range(40)))
    folded_subject = re.sub(r"(.{60,70}?) ", "\\1\r\n ", long_subject)
    assert folded_subject.count("\r\n") >= 3
    long_header = [line for line in headers("x", sender) if not line.startswith("Subject:")]
    long_header.insert(2, "Subject: " + folded_subject)
    long_subject_message = crlf(long_header + ["", "A long subject folded over several lines."])
    folded = crlf(headers("folded", sender, [
        "X-Folded-Tab: first part\r\n\tsecond part after a tab\r\n\tthird part",
        "X-Folded-Spaces: alpha   beta\r\n    gamma  \r\n delta",
        "Cc: Carol <carol@dest.test>,\r\n  Dave <dave@dest.test>,\r\n\tErin <erin@dest.test>",
        "X-Mixed-Case:  Value With  Inner   Spaces\t "]) + ["", "Folded headers above."])
    trailing_blank = crlf(headers("trailing-blank", sender) + [
        "", "the text ends here", "", "", "", ""])
    empty_body = crlf(headers("empty-body", sender) + [""])
    trailing_ws = crlf(headers("trailing-ws", sender) + [
        "", "three spaces   ", "a tab\t", "mixed \t \t", "inner    spaces   and\t\ttabs",
        "   leading spaces", "\tleading tab", "last"])
    dots = crlf(headers("dots", sender) + [
        "", ".", "..", ".a line that starts with a dot", "..and one with two", "...three",
        "middle", ". space after a dot", "."])
    return [("multipart", multipart, ""), ("8bit", eight_bit, " BODY=8BITMIME"),
            ("long-subject", long_subject_message, ""), ("folded", folded, ""),
            ("trailing-blank", trailing_blank, ""), ("empty-body", empty_body, ""),
            ("trailing-ws", trailing_ws, ""), ("dots", dots, "")]


def message_id(raw: bytes) -> str:
    match = re.search(rb"(?im)^Message-ID:\s*<([^>]+)>", raw)
    assert match, f"no Message-ID in {raw[:500]!r}"
    return match.group(1).decode()


def send(gateway, message: bytes, mail_params: str = "", source: str = "127.0.0.2",
         sender: str = SENDER) -> str:
    wire = gateway.session(source=source)
    try:
        queue_id = wire.submit(sender, [RCPT], stuffed(message), mail_params).queue_id()
        wire.quit()
    finally:
        wire.close()
    return queue_id


def assert_verifies(raw: bytes, dns, what: str) -> None:
    ok, why = dkimpy_verify(raw, dns)
    assert ok, f"{what}: dkimpy says the signature fails ({why}):\n{raw[:3000]!r}"
    status, err = opendkim_testmsg(raw, dns)
    assert status == 0, f"{what}: opendkim-testmsg exited {status} ({err}):\n{raw[:3000]!r}"


def assert_fails(raw: bytes, dns, what: str) -> None:
    ok, _ = dkimpy_verify(raw, dns)
    assert not ok, f"{what}: dkimpy accepted a changed message:\n{raw[:3000]!r}"
    status, err = opendkim_testmsg(raw, dns)
    assert status != 0, f"{what}: opendkim-testmsg accepted a changed message:\n{raw[:3000]!r}"
    assert "signature" in err.lower() or "verify" in err.lower(), (
        f"{what}: opendkim-testmsg failed for another reason than the signature: {err}")


def assert_tags(tags: dict, domain: str, selector: str, algorithm: str, canon: str) -> None:
    assert tags["v"] == "1", tags
    assert tags["d"] == domain, tags
    assert tags["s"] == selector, tags
    assert tags["a"] == SIGNATURE_ALGORITHM[algorithm], tags
    # c= may leave out "/simple" (RFC 6376 3.5): compare the pair.
    header_c, _, body_c = tags.get("c", "simple").partition("/")
    assert f"{header_c}/{body_c or 'simple'}" == canon, tags
    signed = [h.lower() for h in tags["h"].split(":")]
    assert signed.count("from") >= 2, f"From is not over-signed (RFC 6376 5.4): h={tags['h']}"
    for name in ("subject", "date", "to", "message-id"):
        assert name in signed, f"{name} not signed: h={tags['h']}"


# --- the harness on its own: messages dkimpy signs ---------------------------------------------
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_harness_verifies_dkimpy_signed_messages_and_fails_altered_ones(tmp_path, dns,
                                                                        algorithm):
    """Control: the verifiers and the DNS plumbing accept what dkimpy signs, for each case and
    both canonicalisations, and reject each one altered after signing -- so a pass of the
    gateway tests below means something."""
    pem, private, record = openssl_key(tmp_path, algorithm, "control")
    dns.start({"control._domainkey.sender.test": record})
    for canon in CANONICALIZATIONS:
        header_c, body_c = canon.encode().split(b"/")
        for name, message, _ in messages(SENDER):
            signature = dkim.sign(message, b"control", SENDER_DOMAIN.encode(), private,
                                  canonicalize=(header_c, body_c),
                                  signature_algorithm=SIGNATURE_ALGORITHM[algorithm].encode())
            signed = signature + message
            what = f"dkimpy-signed {name} ({algorithm}, {canon})"
            assert_verifies(signed, dns, what)
            assert_fails(tamper_body(signed), dns, what + " with a body octet changed")
            assert_fails(tamper_header(signed), dns, what + " with the Subject changed")
    # Signed with another key than the one published under the selector: both refuse it.
    _, stranger, _ = openssl_key(tmp_path, algorithm, "stranger")
    name, message, _ = messages(SENDER)[0]
    forged = dkim.sign(message, b"control", SENDER_DOMAIN.encode(), stranger,
                       signature_algorithm=SIGNATURE_ALGORITHM[algorithm].encode()) + message
    assert_fails(forged, dns, f"{name} signed with a key that is not the published one")
    status, out = opendkim_testkey(SENDER_DOMAIN, "control", dns,
                                   pem if algorithm == "rsa" else None)
    assert status == 0, out
    status, out = opendkim_testkey(SENDER_DOMAIN, "absent", dns)
    assert status != 0 and "not found" in out, out
    if algorithm == "rsa":
        other, _, _ = openssl_key(tmp_path, "rsa", "other")
        status, out = opendkim_testkey(SENDER_DOMAIN, "control", dns, other)
        assert status != 0 and "do not match" in out, out


# --- through the gateway -------------------------------------------------------------------------
def keygen(gateway, domain: str, selector: str, algorithm: str) -> dict:
    out = gateway.cli("dkim", "keygen", "--domain", domain, "--selector", selector,
                      "--algorithm", algorithm, "--json").stdout
    key = json.loads(out)
    assert key["domain"] == domain and key["selector"] == selector, key
    assert key["algorithm"] == algorithm, key
    assert key["name"] == f"{selector}._domainkey.{domain}", key
    k = "rsa" if algorithm == "rsa" else "ed25519"
    assert key["record"].startswith(f"v=DKIM1; k={k}; p="), key
    mode = stat.S_IMODE(os.stat(key["key_file"]).st_mode)
    assert mode == 0o600, f"private key {key['key_file']} has mode {mode:o}"
    assert str(gateway.data_dir / "dkim") in key["key_file"], key
    return key


@pytest.mark.parametrize("algorithm,canon", [
    *((a, c) for a in ALGORITHMS for c in CANONICALIZATIONS),
    # the mixed pairs [dkim] canonicalization also accepts
    ("rsa", "relaxed/simple"), ("rsa", "simple/relaxed")])
def test_every_message_verifies_with_dkimpy_and_opendkim(make_gateway, receivers, dns,
                                                         algorithm, canon):
    gateway = make_gateway({"dkim": {"canonicalization": canon}}, start=False)
    selector = f"sel{algorithm[:3]}"
    key = keygen(gateway, SENDER_DOMAIN, selector, algorithm)
    gateway.cli("domain", "set", SENDER_DOMAIN, f"dkim_selector={selector}")
    dns.start({key["name"]: key["record"]})
    gateway.start()
    mx1 = receivers(MX1_ADDR)

    sent = messages(SENDER)
    for _, message, params in sent:
        send(gateway, message, params)
    received = {message_id(m.raw): m for m in mx1.wait_for(len(sent), timeout=30)}

    for name, message, _ in sent:
        got = received[message_id(message)]
        what = f"{name} ({algorithm}, {canon})"
        assert got.raw.endswith(message), f"{what}: the message arrived changed:\n{got.raw!r}"
        assert len(dkim_signature_values(got.raw)) == 1, f"{what}: not one DKIM-Signature"
        assert_tags(signature_tags(got.raw), SENDER_DOMAIN, selector, algorithm, canon)
        assert_verifies(got.raw, dns, what)
    multipart = received[message_id(sent[0][1])].raw
    assert_fails(tamper_body(multipart), dns, "received multipart, a body octet changed")
    assert_fails(tamper_header(multipart), dns, "received multipart, the Subject changed")

    status, out = opendkim_testkey(SENDER_DOMAIN, selector, dns,
                                   key["key_file"] if algorithm == "rsa" else None)
    assert status == 0, f"opendkim-testkey on the record keygen printed: {out}"
    check = gateway.cli("dkim", "check", "--domain", SENDER_DOMAIN, "--selector", selector,
                        "--dns", dns.server, check=False)
    assert check.returncode == 0, f"dkim check: {check.stderr.strip()}"


def without_date_and_message_id(message: bytes) -> bytes:
    head, body = message.split(b"\r\n\r\n", 1)
    kept = [line for line in head.split(b"\r\n")
            if not re.match(rb"(?i)(date|message-id):", line)]
    return b"\r\n".join(kept) + b"\r\n\r\n" + body


@pytest.mark.parametrize("algorithm,canon", [("rsa", "relaxed/relaxed"),
                                             ("ed25519", "simple/simple")])
def test_date_and_message_id_added_by_the_gateway_are_signed_and_verify(make_gateway, receivers,
                                                                        dns, algorithm, canon):
    """RFC 6409 8.2, 8.3: the gateway adds Date and Message-ID to a message without them before
    it signs, so both are in h= and the signature (body hash taken while DATA streamed) holds."""
    gateway = make_gateway({"dkim": {"canonicalization": canon}}, start=False)
    selector = f"add{algorithm[:3]}"
    key = keygen(gateway, SENDER_DOMAIN, selector, algorithm)
    gateway.cli("domain", "set", SENDER_DOMAIN, f"dkim_selector={selector}")
    dns.start({key["name"]: key["record"]})
    gateway.start()
    mx1 = receivers(MX1_ADDR)

    sent = {}
    for name, message, params in messages(SENDER):
        bare = without_date_and_message_id(message)
        assert not re.search(rb"(?im)^(date|message-id):", bare.split(b"\r\n\r\n")[0]), name
        sent[send(gateway, bare, params)] = (name, bare)
    received = {message_id(m.raw): m for m in mx1.wait_for(len(sent), timeout=30)}
    for queue_id, (name, bare) in sent.items():
        what = f"{name} without Date and Message-ID ({algorithm}, {canon})"
        raw = received[f"{queue_id}@{GATEWAY_HOSTNAME}"].raw
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert len(re.findall(rb"(?im)^date:", head)) == 1, f"{what}: not one Date:\n{raw!r}"
        assert len(re.findall(rb"(?im)^message-id:", head)) == 1, f"{what}: not one Message-ID"
        assert raw.endswith(bare.split(b"\r\n\r\n", 1)[1]), f"{what}: the body changed"
        assert_tags(signature_tags(raw), SENDER_DOMAIN, selector, algorithm, canon)
        assert_verifies(raw, dns, what)


def test_user_selector_wins_and_a_selector_without_key_sends_unsigned(make_gateway, receivers,
                                                                      dns):
    gateway = make_gateway(start=False)
    domain_key = keygen(gateway, SENDER_DOMAIN, "domsel", "rsa")
    user_key = keygen(gateway, SENDER_DOMAIN, "usersel", "ed25519")
    gateway.cli("domain", "set", SENDER_DOMAIN, "dkim_selector=domsel")
    # 127.0.0.2 (make_gateway's user): its own selector. 127.0.0.3: the domain's.
    gateway.cli("user", "set", "127.0.0.2/32", "dkim_selector=usersel")
    gateway.cli("user", "add", "--ip", "127.0.0.3/32", "--owner", SENDER_DOMAIN)
    # 127.0.0.4: a selector for which no key exists: unsigned, but delivered.
    gateway.cli("user", "add", "--ip", "127.0.0.4/32", "--owner", SENDER_DOMAIN)
    gateway.cli("user", "set", "127.0.0.4/32", "dkim_selector=nokey")
    # other.test: its selector given when the domain is added; 127.0.0.5 sends for it.
    gateway.cli("domain", "add", "other.test", "--dkim-selector", "othersel")
    other_key = keygen(gateway, "other.test", "othersel", "rsa")
    gateway.cli("user", "add", "--ip", "127.0.0.5/32", "--owner", "other.test")
    dns.start({k["name"]: k["record"] for k in (domain_key, user_key, other_key)})
    gateway.start()
    mx1 = receivers(MX1_ADDR)

    cases = {  # source address -> (From, expected (d=, s=, algorithm) or None for unsigned)
        "127.0.0.2": (SENDER, (SENDER_DOMAIN, "usersel", "ed25519")),
        "127.0.0.3": ("carol@sender.test", (SENDER_DOMAIN, "domsel", "rsa")),
        "127.0.0.4": ("dave@sender.test", None),
        "127.0.0.5": ("erin@other.test", ("other.test", "othersel", "rsa")),
    }
    ids = {}
    for source, (sender, _) in cases.items():
        message = crlf(headers(f"from-{source}", sender) + ["", f"sent from {source}"])
        ids[source] = message_id(message)
        send(gateway, message, source=source, sender=sender)
    received = {message_id(m.raw): m for m in mx1.wait_for(len(cases), timeout=30)}
    for source, (_, expected) in cases.items():
        raw = received[ids[source]].raw
        if expected is None:
            assert dkim_signature_values(raw) == [], (
                f"{source}: signed although its selector has no key:\n{raw[:1500]!r}")
            continue
        domain, selector, algorithm = expected
        assert_tags(signature_tags(raw), domain, selector, algorithm, "relaxed/relaxed")
        assert_verifies(raw, dns, f"message from {source}")


def test_dkim_check_says_ok_for_the_published_record_and_fails_otherwise(make_gateway, dns):
    gateway = make_gateway(start=False)
    good = keygen(gateway, SENDER_DOMAIN, "good", "rsa")
    good_ed = keygen(gateway, SENDER_DOMAIN, "goodec", "ed25519")
    swapped = keygen(gateway, SENDER_DOMAIN, "swapped", "rsa")
    keygen(gateway, SENDER_DOMAIN, "unpublished", "rsa")
    dns.start({good["name"]: good["record"], good_ed["name"]: good_ed["record"],
               # the record of another key under this selector's name
               swapped["name"]: good["record"]})

    def check(selector):
        return gateway.cli("dkim", "check", "--domain", SENDER_DOMAIN, "--selector", selector,
                           "--dns", dns.server, check=False)

    for selector in ("good", "goodec"):
        result = check(selector)
        assert result.returncode == 0, f"dkim check {selector}: {result.stderr.strip()}"
    for selector in ("swapped", "unpublished"):
        result = check(selector)
        assert result.returncode != 0, f"dkim check {selector} passed: {result.stdout}"
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0], f"not a one-line error: {result.stderr!r}"
    # OpenDKIM agrees on the RSA keys.
    assert opendkim_testkey(SENDER_DOMAIN, "good", dns, good["key_file"])[0] == 0
    status, out = opendkim_testkey(SENDER_DOMAIN, "swapped", dns, swapped["key_file"])
    assert status != 0 and "do not match" in out, out

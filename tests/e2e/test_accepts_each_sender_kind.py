"""Each kind of sender (IP range, password user, domain user) can relay, through real clients
(smtplib and swaks) and over STARTTLS with AUTH PLAIN and LOGIN; the spool file records who sent
what, from where, exactly as the server accepted it.
"""
import re
import smtplib
import socket
import subprocess
import time

import pytest

from conftest import (AUTH_CLIENT_ADDR, DOMAIN, DOMAIN_PASSWORD, HOSTNAME, IP_SENDER,
                      IP_SENDER_ADDR, RECIPIENT, USER, USER_PASSWORD)
from smtp_wire import SmtpWire, client_tls_context, message, rfc5322_now

SENDERS = {
    # kind: (login name = auth_user = sender, password, MAIL FROM)
    "user": (USER, USER_PASSWORD, USER),
    "domain": (DOMAIN, DOMAIN_PASSWORD, "billing@example.com"),
}
QUEUED = re.compile(r"^Ok: queued as ([A-Za-z0-9._-]+)$")
SWAKS_TIMEOUT_S = 60


def queue_id_of(data_reply: tuple[int, bytes]) -> str:
    code, text = data_reply
    assert code == 250, f"DATA not accepted: {code} {text!r}"
    enhanced, _, rest = text.decode().partition(" ")
    assert enhanced == "2.0.0", f"no enhanced code 2.0.0: {text!r}"
    match = QUEUED.match(rest)
    assert match, f"not 'Ok: queued as <ID>': {text!r}"
    return match.group(1)


def smtplib_send(node, source, mail_from, sent, login=None, mechanism=None, tls=False):
    with smtplib.SMTP("127.0.0.1", node.port, local_hostname="client.e2e.test", timeout=15,
                      source_address=(source, 0)) as client:
        code, _ = client.ehlo()
        assert code == 250
        if tls:
            code, _ = client.starttls(context=client_tls_context())
            assert code == 220
            code, _ = client.ehlo()
            assert code == 250
        if login:
            client.user, client.password = login
            authobject = {"PLAIN": client.auth_plain, "LOGIN": client.auth_login}[mechanism]
            code, text = client.auth(mechanism, authobject)
            assert code == 235, f"AUTH {mechanism}: {code} {text!r}"
            assert text.startswith(b"2.7.0 "), f"AUTH {mechanism}: {text!r}"
        code, text = client.mail(mail_from)
        assert (code, text[:6]) == (250, b"2.1.0 "), f"MAIL: {code} {text!r}"
        code, text = client.rcpt(RECIPIENT)
        assert (code, text[:6]) == (250, b"2.1.5 "), f"RCPT: {code} {text!r}"
        queue_id = queue_id_of(client.data(sent))
        client.quit()
    return queue_id


def assert_envelope(spooled, *, kind, sender, auth_user, client_ip, tls, mail_from, helo):
    env = spooled.envelope
    expected_keys = {"id", "received_at", "client_ip", "helo", "tls", "auth_user", "sender_kind",
                     "sender", "domain", "mail_from", "rcpt_to", "size", "body", "smtputf8"}
    assert expected_keys <= set(env), f"envelope lacks {expected_keys - set(env)}: {env}"
    assert env["id"] == spooled.path.name
    assert env["sender_kind"] == kind
    assert env["sender"] == sender
    assert env["auth_user"] == auth_user
    assert env["client_ip"] == client_ip
    assert env["tls"] is tls
    assert env["helo"] == helo
    assert env["domain"] == DOMAIN
    assert env["mail_from"] == mail_from
    assert env["rcpt_to"] == [RECIPIENT]
    assert env["body"] == "7BIT"
    assert env["smtputf8"] is False
    assert isinstance(env["size"], int) and 0 < env["size"] <= len(spooled.raw)
    assert isinstance(env["received_at"], (str, int, float)) and env["received_at"]


def assert_received_header_prepended(spooled, sent: bytes):
    added = spooled.headers_added(sent)
    assert added.startswith(b"Received: "), f"no Received: header first: {added!r}"
    lines = added.split(b"\r\n")
    assert lines[-1] == b"", f"added header does not end in CRLF: {added!r}"
    for continuation in lines[1:-1]:
        assert continuation[:1] in (b" ", b"\t"), f"more than one header added: {added!r}"
    assert b"\n" not in added.replace(b"\r\n", b""), f"bare LF in Received: {added!r}"


def test_ip_sender_relays_without_auth(node):
    sent = message("ip sender", sender="news@example.com")
    queue_id = smtplib_send(node, IP_SENDER_ADDR, "news@example.com", sent)
    spooled = node.spooled(queue_id)
    assert_envelope(spooled, kind="ip", sender=IP_SENDER, auth_user=None,
                    client_ip=IP_SENDER_ADDR, tls=False, mail_from="news@example.com",
                    helo="client.e2e.test")
    assert_received_header_prepended(spooled, sent)
    # RFC 5321 4.4: the trace names the client's HELO and address, and this host.
    received = spooled.headers_added(sent)
    assert b"client.e2e.test" in received and b"[127.0.0.2]" in received, received
    assert HOSTNAME.encode() in received, received
    assert node.spool_ids() == [queue_id]


def test_ip_range_sender_relays_from_any_address_in_its_range(make_node):
    node = make_node()
    node.provision()
    node.cli("user", "add", "--ip", "127.0.8.0/24", "--owner", DOMAIN)
    node.start()
    for address in ("127.0.8.1", "127.0.8.77", "127.0.8.254"):
        wire = node.session(source=address)
        queue_id = wire.submit("news@example.com", [RECIPIENT],
                               message(f"from {address}")).queue_id()
        wire.quit()
        env = node.spooled(queue_id).envelope
        assert (env["sender_kind"], env["sender"], env["client_ip"]) == (
            "ip", "127.0.8.0/24", address)
    for address in ("127.0.9.1", "127.0.7.255"):
        wire = node.session(source=address)
        wire.expect("MAIL FROM:<news@example.com>", 250, "2.1.0")
        wire.expect(f"RCPT TO:<{RECIPIENT}>", 550, "5.7.1", text="550 5.7.1 Relay not permitted!")
        wire.quit()
    assert node.spool_count() == 3


def test_ipv6_ip_sender_relays_over_ipv6(make_node):
    node = make_node()
    node.provision()
    node.cli("user", "add", "--ip", "::1/128", "--owner", DOMAIN)
    v6_port = free_port_v6()
    node.start(extra_listen=[f"[::1]:{v6_port}"])
    wire = SmtpWire(v6_port, source="::1", host="::1")
    wire.check(wire.greeting(), 220)
    wire.ehlo()
    queue_id = wire.submit("news@example.com", [RECIPIENT], message("over ipv6")).queue_id()
    wire.quit()
    env = node.spooled(queue_id).envelope
    assert (env["sender_kind"], env["sender"], env["client_ip"]) == ("ip", "::1/128", "::1")


def free_port_v6() -> int:
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("kind", ["user", "domain"])
def test_password_sender_relays_after_starttls_and_auth_with_smtplib(node, kind, mechanism):
    login, password, mail_from = SENDERS[kind]
    sent = message(f"smtplib {kind} {mechanism}", sender=mail_from)
    queue_id = smtplib_send(node, AUTH_CLIENT_ADDR, mail_from, sent, login=(login, password),
                            mechanism=mechanism, tls=True)
    spooled = node.spooled(queue_id)
    assert_envelope(spooled, kind=kind, sender=login, auth_user=login, client_ip=AUTH_CLIENT_ADDR,
                    tls=True, mail_from=mail_from, helo="client.e2e.test")
    assert_received_header_prepended(spooled, sent)
    assert node.spool_ids() == [queue_id]


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("kind", ["user", "domain"])
def test_password_sender_relays_after_starttls_and_auth_with_swaks(node, kind, mechanism):
    login, password, mail_from = SENDERS[kind]
    subject = f"swaks {kind} {mechanism}"
    result = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{node.port}", "--protocol", "ESMTP", "--tls",
         "--auth", mechanism, "--auth-user", login, "--auth-password", password,
         "--local-interface", AUTH_CLIENT_ADDR, "--helo", "swaks.e2e.test",
         "--from", mail_from, "--to", RECIPIENT, "--header", f"Subject: {subject}",
         "--body", "Sent by swaks from the end-to-end tests.", "--timeout", "20"],
        capture_output=True, text=True, timeout=SWAKS_TIMEOUT_S)
    transcript = result.stdout + result.stderr
    assert result.returncode == 0, f"swaks exited {result.returncode}:\n{transcript}"
    # "<~" marks lines swaks read over TLS.
    assert re.search(rf"(?m)^<~ +235 2\.7\.0 ", transcript), transcript
    match = re.search(r"(?m)^<~ +250 2\.0\.0 Ok: queued as ([A-Za-z0-9._-]+)\r?$", transcript)
    assert match, f"no '250 2.0.0 Ok: queued as <ID>' over TLS:\n{transcript}"
    spooled = node.spooled(match.group(1))
    assert_envelope(spooled, kind=kind, sender=login, auth_user=login, client_ip=AUTH_CLIENT_ADDR,
                    tls=True, mail_from=mail_from, helo="swaks.e2e.test")
    assert f"Subject: {subject}\r\n".encode() in spooled.raw
    assert spooled.raw.startswith(b"Received: ")
    assert node.spool_count() == 1


def test_auth_plain_with_challenge_and_spool_keeps_message_bytes(node):
    """AUTH PLAIN without initial response (334 challenge); the spooled message is the client's
    bytes, dot-unstuffed, with 8BITMIME and SMTPUTF8 recorded."""
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    wire.check(wire.auth_plain(USER, USER_PASSWORD, initial_response=False), 235, "2.7.0")
    wire.expect(f"MAIL FROM:<{USER}> BODY=8BITMIME SMTPUTF8", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("RCPT TO:<carol@example.net>", 250, "2.1.5")
    body = ("From: <alice@example.com>\r\nTo: <bob@example.net>\r\nSubject: bytes\r\n"
            f"Date: {rfc5322_now()}\r\nMessage-ID: <bytes.{time.monotonic_ns()}@e2e.test>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Grüße aus Köln\r\n").encode()
    stuffed = body + b"..leading dot\r\n...\r\nend\r\n"
    unstuffed = body + b".leading dot\r\n..\r\nend\r\n"
    reply = wire.data(stuffed)
    queue_id = reply.queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    env = spooled.envelope
    assert env["body"] == "8BITMIME"
    assert env["smtputf8"] is True
    assert env["rcpt_to"] == [RECIPIENT, "carol@example.net"]
    assert env["auth_user"] == USER and env["sender_kind"] == "user" and env["tls"] is True
    assert_received_header_prepended(spooled, unstuffed)


def test_greeting_and_ehlo_advertise_the_contract(node):
    wire = node.connect()
    greeting = wire.greeting()
    assert greeting.raw == f"220 {HOSTNAME} ESMTP postwarden\r\n".encode()
    before = wire.ehlo()
    assert before.texts[0].split(" ")[0] == HOSTNAME
    for keyword in ("PIPELINING", "SIZE 26214400", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS",
                    "SMTPUTF8", "HELP"):
        assert keyword in before.keywords, f"EHLO lacks {keyword}: {before}"
    assert not any(k.startswith("AUTH") for k in before.keywords), f"AUTH before TLS: {before}"
    wire.starttls()
    after = wire.ehlo()
    assert "STARTTLS" not in after.keywords, f"STARTTLS offered again: {after}"
    auth = [k for k in after.keywords if k.startswith("AUTH ")]
    assert len(auth) == 1 and set(auth[0].split()[1:]) == {"PLAIN", "LOGIN"}, after
    wire.quit()


@pytest.mark.pw_config(smtp={"max_message_size": 4096})
def test_ehlo_size_follows_config(node):
    wire = node.session(ehlo=False)
    reply = wire.ehlo()
    assert "SIZE 4096" in reply.keywords, reply
    wire.quit()


def test_hostile_helo_cannot_break_the_received_header(node):
    wire = node.session(source=IP_SENDER_ADDR, ehlo=False)
    wire.expect(b"EHLO evil\x1b[31m\x7f\tname\x01;\xff" + b"h" * 400, 250)
    sent = message("hostile helo", sender="news@example.com")
    queue_id = wire.submit("news@example.com", [RECIPIENT], sent).queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    added = spooled.headers_added(sent)
    # RFC 5322 2.2: a header field is printable US-ASCII, folded with CRLF + WSP.
    unfolded = added.replace(b"\r\n\t", b" ").replace(b"\r\n ", b" ")
    assert unfolded.endswith(b"\r\n") and b"\r\n" not in unfolded[:-2], added
    bad = [b for b in unfolded[:-2] if b < 0x20 and b != 0x09 or b > 0x7e]
    assert not bad, f"control or 8-bit octets in Received: {added!r}"
    assert len(max(added.split(b"\r\n"), key=len)) <= 998, "Received line over 998 octets"

"""Implicit TLS listeners (RFC 8314) and the TLS policy (TLS 1.2+ only, RFC 8996), plus SMTPUTF8."""
from __future__ import annotations

import smtplib
import socket
import ssl
import warnings

from conftest import (AUTH_CLIENT_ADDR, DOMAIN, IP_SENDER_ADDR, RECIPIENT, USER, USER_PASSWORD,
                      free_port, wait_until)


def client_context(**kwargs) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    for key, value in kwargs.items():
        setattr(context, key, value)
    return context


def start_with_tls_listener(make_node):
    tls_port = free_port()
    node = make_node({"server": {"listen_tls": [f"127.0.0.1:{tls_port}"]}})
    node.provision()
    node.start()
    return node, tls_port


def test_implicit_tls_listener_accepts_auth_and_mail(make_node):
    node, tls_port = start_with_tls_listener(make_node)
    with smtplib.SMTP_SSL("127.0.0.1", tls_port, context=client_context(), timeout=10,
                          source_address=(AUTH_CLIENT_ADDR, 0)) as client:
        code, features = client.ehlo("client.example")
        assert code == 250
        assert b"AUTH PLAIN LOGIN" in features, "AUTH must be offered at once on implicit TLS"
        assert b"STARTTLS" not in features, "STARTTLS makes no sense inside TLS"
        client.login(USER, USER_PASSWORD)
        refused = client.sendmail(USER, [RECIPIENT], b"Subject: implicit\r\n\r\nbody\r\n")
        assert refused == {}
    assert wait_until(lambda: node.spool_count() == 1, 5)
    message = node.spooled(node.spool_ids()[0])
    assert message.envelope["tls"] is True
    assert message.envelope["auth_user"] == USER


def test_implicit_tls_listener_refuses_a_plaintext_client(make_node):
    node, tls_port = start_with_tls_listener(make_node)
    with socket.create_connection(("127.0.0.1", tls_port), timeout=10) as raw:
        raw.sendall(b"EHLO plaintext.example\r\n")
        raw.settimeout(10)
        data = b""
        try:
            while True:
                chunk = raw.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert not data.startswith(b"220"), f"plaintext client got an SMTP greeting: {data!r}"
    assert node.spool_count() == 0


def test_tls_1_1_is_refused_and_1_2_accepted(make_node):
    node, tls_port = start_with_tls_listener(make_node)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = client_context(minimum_version=ssl.TLSVersion.TLSv1,
                             maximum_version=ssl.TLSVersion.TLSv1_1)
    try:
        old.set_ciphers("ALL:@SECLEVEL=0")
    except ssl.SSLError:
        pass
    with socket.create_connection(("127.0.0.1", tls_port), timeout=10) as raw:
        try:
            with old.wrap_socket(raw) as tls:
                negotiated = tls.version()
        except (ssl.SSLError, ConnectionResetError, OSError):
            negotiated = None
    assert negotiated is None, f"server accepted {negotiated}"
    tls12 = client_context(minimum_version=ssl.TLSVersion.TLSv1_2,
                           maximum_version=ssl.TLSVersion.TLSv1_2)
    with socket.create_connection(("127.0.0.1", tls_port), timeout=10) as raw:
        with tls12.wrap_socket(raw) as tls:
            assert tls.version() == "TLSv1.2"
            cipher = tls.cipher()[0]
            assert "ECDHE" in cipher and ("GCM" in cipher or "CHACHA20" in cipher), cipher
            assert tls.recv(4096).startswith(b"220 ")


def test_smtputf8_address_is_accepted_only_with_the_parameter(node):
    utf8_recipient = "j\u00f6rg@b\u00fccher.example"
    with smtplib.SMTP("127.0.0.1", node.port, timeout=10,
                      source_address=(IP_SENDER_ADDR, 0)) as client:
        client.command_encoding = "utf-8"  # smtplib's default (ascii) cannot send the address
        client.ehlo("client.example")
        assert client.has_extn("smtputf8")
        code, _ = client.mail(f"sender@{DOMAIN}")
        assert code == 250
        code, text = client.rcpt(utf8_recipient)
        assert (code, text[:5]) == (553, b"5.6.7"), (code, text)
        client.rset()
        code, _ = client.mail(f"sender@{DOMAIN}", ["SMTPUTF8"])
        assert code == 250
        code, _ = client.rcpt(utf8_recipient)
        assert code == 250
        code, _ = client.data("Subject: utf8\r\n\r\nbody\r\n".encode())
        assert code == 250
    assert wait_until(lambda: node.spool_count() == 1, 5)
    envelope = node.spooled(node.spool_ids()[0]).envelope
    assert envelope["smtputf8"] is True
    assert envelope["rcpt_to"] == [utf8_recipient]

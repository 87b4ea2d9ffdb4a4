"""Whoever is not a known sender cannot relay: wrong password, unknown user, AUTH in the clear,
and a client outside every IP range get the contract's codes, and nothing reaches the spool.
"""
import base64

import pytest

from conftest import (DOMAIN, IP_SENDER_ADDR, RECIPIENT, STRANGER_ADDR, USER, USER_PASSWORD)
from smtp_wire import message

RELAY_DENIED = "550 5.7.1 Relay not permitted!"


def assert_relay_denied(wire, mail_from=USER):
    wire.expect(f"MAIL FROM:<{mail_from}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 550, "5.7.1", text=RELAY_DENIED)
    # Without a recipient there is no transaction to send data for.
    reply = wire.cmd("DATA")
    wire.check(reply, 554 if reply.code == 554 else 503, where="after DATA with no recipient")
    assert reply.enhanced in ("5.5.1", "5.7.1", "5.5.0"), f"bad enhanced code: {reply}"


def test_relay_from_unknown_ip_is_denied(node):
    wire = node.session(source=STRANGER_ADDR)
    assert_relay_denied(wire, mail_from="someone@example.com")
    wire.quit()
    assert node.spool_count() == 0


def test_relay_from_unknown_ip_is_denied_after_tls_too(node):
    wire = node.session(source=STRANGER_ADDR)
    wire.starttls()
    wire.ehlo()
    assert_relay_denied(wire, mail_from="someone@example.com")
    wire.quit()
    assert node.spool_count() == 0


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_wrong_password_is_refused_and_cannot_relay(node, mechanism):
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    if mechanism == "PLAIN":
        reply = wire.auth_plain(USER, "wrong password 123")
    else:
        reply = wire.auth_login(USER, "wrong password 123")
    wire.check(reply, 535, "5.7.8", where="after AUTH with a wrong password")
    assert_relay_denied(wire)
    wire.quit()
    assert node.spool_count() == 0


def test_unknown_user_gets_the_same_reply_as_a_wrong_password(node):
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    wrong_password = wire.auth_plain(USER, "wrong password 123")
    wire.check(wrong_password, 535, "5.7.8")
    unknown = wire.auth_plain("mallory@example.com", USER_PASSWORD)
    wire.check(unknown, 535, "5.7.8")
    # No user enumeration: both failures read the same.
    assert unknown.raw == wrong_password.raw, f"{unknown} != {wrong_password}"
    unknown_domain = wire.auth_plain("example.invalid", USER_PASSWORD)
    wire.check(unknown_domain, 535, "5.7.8")
    assert_relay_denied(wire)
    wire.quit()
    assert node.spool_count() == 0


def test_domain_name_with_a_user_password_is_refused(node):
    """A domain user and a password user are separate credentials."""
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    wire.check(wire.auth_plain(DOMAIN, USER_PASSWORD), 535, "5.7.8")
    wire.quit()


def test_auth_before_starttls_is_refused_with_538(node):
    wire = node.session()
    blob = base64.b64encode(f"\0{USER}\0{USER_PASSWORD}".encode()).decode()
    wire.expect(f"AUTH PLAIN {blob}", 538, "5.7.11")
    wire.expect("AUTH LOGIN", 538, "5.7.11")
    # The refused AUTH did not authenticate anyone.
    assert_relay_denied(wire)
    wire.quit()
    assert node.spool_count() == 0


def test_cancelled_auth_is_refused(node):
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    wire.expect("AUTH LOGIN", 334)
    wire.expect("*", 501, "5.7.0")
    wire.expect("NOOP", 250)
    wire.quit()


def test_auth_twice_is_a_bad_sequence(node):
    wire = node.authenticated()
    wire.check(wire.auth_plain(USER, USER_PASSWORD), 503, "5.5.1", where="after a second AUTH")
    wire.quit()


def test_ip_sender_outside_its_range_is_denied(node):
    """127.0.0.2/32 relays; its neighbour 127.0.0.3 does not."""
    inside = node.session(source=IP_SENDER_ADDR)
    inside.submit("news@example.com", [RECIPIENT], message("inside")).queue_id()
    inside.quit()
    outside = node.session(source="127.0.0.3")
    assert_relay_denied(outside, mail_from="news@example.com")
    outside.quit()
    assert node.spool_count() == 1


@pytest.mark.pw_config(tls={"require_tls_for_auth": False})
def test_plaintext_auth_only_where_configured(node):
    wire = node.session(ehlo=False)
    ehlo = wire.ehlo()
    auth = [k for k in ehlo.keywords if k.startswith("AUTH ")]
    assert auth and set(auth[0].split()[1:]) == {"PLAIN", "LOGIN"}, ehlo
    wire.check(wire.auth_plain(USER, USER_PASSWORD), 235, "2.7.0", where="plaintext AUTH")
    queue_id = wire.submit(USER, [RECIPIENT], message("plaintext auth")).queue_id()
    wire.quit()
    env = node.spooled(queue_id).envelope
    assert (env["tls"], env["auth_user"], env["sender_kind"]) == (False, USER, "user")

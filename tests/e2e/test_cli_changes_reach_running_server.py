"""The admin CLI works while `serve` runs on the same data dir, and the server acts on a change
within a few seconds (server.reload_interval_ms, default 1000): a new IP sender may relay, a
removed one may not, a new password user can log in, a removed one cannot.
"""
import time

import pytest

from conftest import DOMAIN, OTHER_DOMAIN, RECIPIENT, USER, USER_PASSWORD, wait_until
from smtp_wire import message

NEW_CLIENT = "127.0.0.3"
NEW_RANGE = "127.0.0.3/32"
PICKUP_S = 3.0
RELAY_DENIED = "550 5.7.1 Relay not permitted!"
# Polling a login that is not there yet counts as failed AUTH: keep the guard out of the way.
NO_BAN = pytest.mark.pw_config(auth={"max_failures": 1000})


def rcpt_reply(node, source):
    wire = node.session(source=source)
    wire.expect("MAIL FROM:<news@example.com>", 250, "2.1.0")
    reply = wire.cmd(f"RCPT TO:<{RECIPIENT}>")
    wire.quit()
    return reply


def auth_reply(node, user, password):
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    reply = wire.auth_plain(user, password)
    wire.quit()
    return reply


def user_names(node):
    return {u.get("name") for u in node.users()}


def test_ip_sender_added_and_removed_while_serving(node):
    assert rcpt_reply(node, NEW_CLIENT).line == RELAY_DENIED

    node.cli("user", "add", "--ip", NEW_RANGE, "--owner", DOMAIN)
    added = time.monotonic()
    assert NEW_RANGE in user_names(node)
    reply = wait_until(lambda: rcpt_reply(node, NEW_CLIENT).code == 250, timeout=PICKUP_S,
                       interval=0.1)
    assert reply, f"IP sender not honoured {PICKUP_S} s after user add"
    # The new sender really sends.
    wire = node.session(source=NEW_CLIENT)
    queue_id = wire.submit("news@example.com", [RECIPIENT], message("new ip sender")).queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    assert spooled.envelope["sender_kind"] == "ip"
    assert spooled.envelope["sender"] == NEW_RANGE
    assert spooled.envelope["client_ip"] == NEW_CLIENT
    assert time.monotonic() - added < 30

    node.cli("user", "remove", NEW_RANGE)
    assert NEW_RANGE not in user_names(node)
    denied = wait_until(lambda: rcpt_reply(node, NEW_CLIENT).line == RELAY_DENIED,
                        timeout=PICKUP_S, interval=0.1)
    assert denied, f"removed IP sender still relays {PICKUP_S} s after user remove"


@NO_BAN
def test_password_user_added_and_removed_while_serving(node):
    user, password = "carol@example.com", "another good passphrase"
    assert auth_reply(node, user, password).code == 535
    node.cli("user", "add", "--user", user, "--password-stdin", stdin=password + "\n")
    assert wait_until(lambda: auth_reply(node, user, password).code == 235, timeout=PICKUP_S,
                      interval=0.1), "new password user cannot log in"
    node.cli("user", "remove", user)
    assert wait_until(lambda: auth_reply(node, user, password).code == 535, timeout=PICKUP_S,
                      interval=0.1), "removed password user can still log in"
    # The other users were not touched.
    assert auth_reply(node, USER, USER_PASSWORD).code == 235


@NO_BAN
def test_new_domain_and_its_domain_user_while_serving(node):
    password = "org domain passphrase"
    node.cli("domain", "add", OTHER_DOMAIN)
    node.cli("user", "add", "--domain", OTHER_DOMAIN, "--password-stdin", stdin=password + "\n")
    assert wait_until(lambda: auth_reply(node, OTHER_DOMAIN, password).code == 235,
                      timeout=PICKUP_S, interval=0.1), "new domain user cannot log in"
    wire = node.authenticated(OTHER_DOMAIN, password)
    queue_id = wire.submit("info@example.org", [RECIPIENT], message("org")).queue_id()
    wire.quit()
    env = node.spooled(queue_id).envelope
    assert (env["sender_kind"], env["sender"], env["domain"]) == ("domain", OTHER_DOMAIN,
                                                                  OTHER_DOMAIN)


def test_user_list_json_shows_every_sender(node):
    users = node.users()
    names = {u.get("name") for u in users}
    assert {"127.0.0.2/32", USER, DOMAIN} <= names, users
    text = str(users)
    assert USER_PASSWORD not in text and "$argon2" not in text, "secrets in user list"

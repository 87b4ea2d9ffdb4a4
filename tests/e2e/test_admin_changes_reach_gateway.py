"""Issue 15, item 12: changes an administrator makes while the gateway runs reach it, by the CLI
and by the API alike: `user reset-counters` (the gateway kept counting from memory until a
restart), lifting an invalid-recipient restriction (there was no way), and templates checked
when they are set (an unknown lock_template or {placeholder} was accepted and silently ignored).
"""
import urllib.parse

from conftest import free_port, wait_until
from delivery_fixtures import MX1_ADDR, dns, make_gateway, mx_port, receivers
from http_client import Api, wait_for_https
from smtp_wire import message

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

IP_USER = "127.0.0.2/32"
USER_PATH = "/api/v1/users/" + urllib.parse.quote(IP_USER, safe="")
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
ADMIN, ADMIN_PASSWORD = "root", "admin passphrase 2026"
PICKUP_S = 5.0


def start(make_gateway, *settings):
    port = free_port()
    gw = make_gateway({"http": {"listen": f"127.0.0.1:{port}"}}, start=False)
    if settings:
        gw.cli("user", "set", IP_USER, *settings)
    gw.cli("admin", "add", ADMIN, "--password-stdin", stdin=ADMIN_PASSWORD + "\n")
    gw.start()
    wait_for_https(port)
    api = Api(port)
    assert api.login(ADMIN, ADMIN_PASSWORD).status == 200
    return gw, api


def rcpt_code(gw, rcpt=RCPT) -> int:
    """The reply to MAIL, or to RCPT when MAIL is taken."""
    wire = gw.session(source="127.0.0.2")
    try:
        reply = wire.cmd(f"MAIL FROM:<{SENDER}>")
        if reply.code != 250:
            return reply.code
        return wire.cmd(f"RCPT TO:<{rcpt}>").code
    finally:
        wire.close()


def send(gw, rcpts) -> int:
    wire = gw.session(source="127.0.0.2")
    try:
        wire.expect(f"MAIL FROM:<{SENDER}>", 250)
        for rcpt in rcpts:
            wire.expect(f"RCPT TO:<{rcpt}>", 250)
        return wire.data(message(sender=SENDER, to=rcpts[0])).code
    finally:
        wire.close()


def restrict(gw) -> None:
    """Two invalid recipients: over invalid_recipient_limit=2, MAIL is refused."""
    wire = gw.session(source="127.0.0.2")
    wire.expect(f"MAIL FROM:<{SENDER}>", 250)
    for bad in ["<no-at-sign>", "<two@@dest.test>"]:
        assert wire.cmd(f"RCPT TO:{bad}").code in (501, 553)
    wire.close()
    assert wait_until(lambda: rcpt_code(gw) == 550, timeout=PICKUP_S, interval=0.1)


def test_reset_counters_reaches_the_running_gateway(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw, api = start(make_gateway, "max_recipients_per_day=2")
    assert send(gw, ["a@dest.test", "b@dest.test"]) == 250
    assert rcpt_code(gw) == 452

    gw.cli("user", "reset-counters", IP_USER)
    assert wait_until(lambda: rcpt_code(gw) == 250, timeout=PICKUP_S, interval=0.1), \
        "user reset-counters did not reach the running gateway"
    assert send(gw, ["c@dest.test", "d@dest.test"]) == 250
    assert rcpt_code(gw) == 452

    answer = api.request("POST", USER_PATH + "/reset-counters")
    assert answer.status == 200, answer.body
    assert wait_until(lambda: rcpt_code(gw) == 250, timeout=PICKUP_S, interval=0.1), \
        "the API's reset-counters did not reach the running gateway"
    # The reset is kept: the gateway's next flush does not write the old counts back.
    assert gw.stop() == 0
    gw.start()
    assert rcpt_code(gw) == 250


def test_an_invalid_recipient_restriction_is_lifted_by_unlock(make_gateway, receivers):
    receivers(MX1_ADDR)
    gw, api = start(make_gateway, "invalid_recipient_limit=2")
    restrict(gw)
    gw.cli("user", "unlock", IP_USER)
    assert wait_until(lambda: rcpt_code(gw) == 250, timeout=PICKUP_S, interval=0.1), \
        "user unlock did not lift the invalid-recipient restriction"

    restrict(gw)
    answer = api.request("POST", USER_PATH + "/unlock", {})
    assert answer.status == 200, answer.body
    assert wait_until(lambda: rcpt_code(gw) == 250, timeout=PICKUP_S, interval=0.1), \
        "the API's unlock did not lift the invalid-recipient restriction"
    # Without the limit set and nothing counted, a user that is not locked is said to be so.
    gw.cli("user", "set", IP_USER, "invalid_recipient_limit=")
    gw.cli("user", "reset-counters", IP_USER)
    refused = gw.cli("user", "unlock", IP_USER, check=False)
    assert refused.returncode != 0 and "not locked" in refused.stderr


def test_templates_are_checked_when_they_are_set(make_gateway, tmp_path):
    gw, api = start(make_gateway)
    bad = gw.cli("user", "set", IP_USER, "lock_template=nonexistent", check=False)
    assert bad.returncode != 0
    assert "no template named" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    answer = api.request("PATCH", USER_PATH, {"settings": {"lock_template": "nonexistent"}})
    assert answer.status == 400 and "no template named" in answer.json()["error"]

    body = tmp_path / "body.txt"
    body.write_text("{user} was locked: {reason}; call {hotline}\n")
    bad = gw.cli("template", "set", "custom", "--subject", "Locked: {user}", "--body-file",
                 str(body), check=False)
    assert bad.returncode != 0
    assert "unknown placeholder" in bad.stderr and "{hotline}" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    bad = gw.cli("template", "set", "custom", "--subject", "Locked: {usr}", "--body-file",
                 str(body), check=False)
    assert bad.returncode != 0 and "{usr}" in bad.stderr
    answer = api.request("PUT", "/api/v1/templates/lock", {"text": "{user}: {nope}"})
    assert answer.status == 400 and "{nope}" in answer.json()["error"]
    answer = api.request("PUT", "/api/v1/settings", {"lock_template": {"text": "{x_y}"}})
    assert answer.status == 400 and "{x_y}" in answer.json()["error"]

    # Known placeholders and plain braces are fine; a stored template can then be named.
    body.write_text("{user} was locked at {time}: {reason}. JSON: { \"a\": 1 }\n")
    gw.cli("template", "set", "custom", "--subject", "Locked: {user}", "--body-file", str(body))
    gw.cli("user", "set", IP_USER, "lock_template=custom")
    answer = api.request("PATCH", USER_PATH, {"settings": {"lock_template": "lock"}})
    assert answer.status == 200, answer.body

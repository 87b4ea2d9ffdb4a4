"""The admin's view of the outgoing quarantine (F-RELEASE): `quarantine list|show|release|delete`.

No gateway check holds messages yet from this test, so a held message is put in place the way
QuarantineStore::hold() leaves it (the file <data-dir>/quarantine/<id>.eml with the envelope
line, then its row): the CLI then lists it, shows it, releases it into the spool while no
gateway runs (the next start logs it as queued) and deletes it. Unknown ids give one line on
stderr and a non-zero exit.
"""
import json
import sqlite3
import time

import pytest

from conftest import DOMAIN, RECIPIENT, USER

ROW_KEYS = {"id", "held_at", "client_ip", "sender_kind", "sender", "user_domain", "identity",
            "mail_from", "rcpt_to", "subject", "header_message_id", "size", "check", "reasons",
            "score", "response", "status", "released_at", "released_by", "queue_id"}

MESSAGE = (b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: held for review\r\n"
           b"Message-ID: <held-1@example.com>\r\n\r\nbuy cheap pills now\r\n")


@pytest.fixture
def cli_node(make_node):
    node = make_node()
    node.cli("domain", "add", DOMAIN)  # creates the data dir and its database
    return node


def put_held_message(node, held_id: str) -> dict:
    """What QuarantineStore::hold() leaves: the file first, then the row."""
    envelope = {"id": held_id, "received_at": int(time.time()), "client_ip": "127.0.0.1",
                "helo": "client.test", "tls": True, "auth_user": USER, "sender_kind": "user",
                "sender": USER, "domain": DOMAIN, "mail_from": USER, "rcpt_to": [RECIPIENT],
                "size": len(MESSAGE), "body": "8BITMIME", "smtputf8": False}
    directory = node.data_dir / "quarantine"
    directory.mkdir(mode=0o700, exist_ok=True)
    (directory / f"{held_id}.eml").write_bytes(json.dumps(envelope).encode() + b"\n" + MESSAGE)
    with sqlite3.connect(node.data_dir / "postwarden.db") as db:
        db.execute(
            "INSERT INTO quarantine (id, held_at, client_ip, sender_kind, sender, user_domain, "
            "identity, mail_from, rcpt_to, subject, header_message_id, size, check_name, "
            "reasons, score, response) VALUES (?, ?, '127.0.0.1', 'user', ?, ?, ?, ?, ?, "
            "'held for review', '<held-1@example.com>', ?, 'spam', 'PILLS: pharmacy words', "
            "4.5, 'accepted')",
            (held_id, int(time.time()), USER, DOMAIN, USER, USER, json.dumps([RECIPIENT]),
             len(MESSAGE)))
    return envelope


def assert_one_line_error(node, *args) -> str:
    result = node.cli(*args, check=False)
    assert result.returncode != 0, f"{args} succeeded: {result.stdout}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("postwarden: "), repr(result.stderr)
    return lines[0]


def test_empty_quarantine_lists_nothing(cli_node):
    assert json.loads(cli_node.cli("quarantine", "list", "--json").stdout) == []
    assert "0 message(s)" in cli_node.cli("quarantine", "list").stdout
    assert json.loads(cli_node.cli("quarantine", "list", "--status", "held", "--domain", DOMAIN,
                                   "--sender", USER, "--limit", "5", "--json").stdout) == []


@pytest.mark.parametrize("command", ["show", "release", "delete"])
def test_unknown_id_is_one_line_error(cli_node, command):
    line = assert_one_line_error(cli_node, "quarantine", command, "NOSUCHID")
    assert "NOSUCHID" in line


def test_bad_list_filters_are_refused(cli_node):
    assert_one_line_error(cli_node, "quarantine", "list", "--status", "lost")
    assert_one_line_error(cli_node, "quarantine", "list", "--limit", "0")


def test_list_show_release_and_delete_without_a_gateway(cli_node):
    node = cli_node
    put_held_message(node, "HELD1")
    put_held_message(node, "HELD2")

    listed = json.loads(node.cli("quarantine", "list", "--json").stdout)
    assert {row["id"] for row in listed} == {"HELD1", "HELD2"}
    assert all(set(row) == ROW_KEYS for row in listed)
    assert json.loads(node.cli("quarantine", "list", "--domain", "example.org",
                               "--json").stdout) == []
    text = node.cli("quarantine", "list").stdout
    assert "HELD1" in text and "held for review" in text and "2 message(s)" in text

    shown = json.loads(node.cli("quarantine", "show", "HELD1", "--json").stdout)
    assert set(shown) == ROW_KEYS | {"headers"}
    assert shown["status"] == "held" and shown["rcpt_to"] == [RECIPIENT]
    assert shown["headers"] == MESSAGE.split(b"\r\n\r\n")[0].decode() + "\r\n"
    text = node.cli("quarantine", "show", "HELD1").stdout
    assert "Subject: held for review" in text and "spam" in text
    raw = node.cli("quarantine", "show", "HELD1", "--raw").stdout
    assert raw.encode() == MESSAGE.replace(b"\r\n", b"\n") or raw.encode() == MESSAGE

    result = node.cli("quarantine", "release", "HELD1")
    assert "released HELD1 as queue id" in result.stdout
    assert "delivered when it starts" in result.stdout
    queue_id = result.stdout.split("queue id ")[1].split(";")[0].strip()
    spooled = node.spooled(queue_id)
    assert spooled.raw == MESSAGE
    assert spooled.envelope["mail_from"] == USER
    assert spooled.envelope["rcpt_to"] == [RECIPIENT]
    assert spooled.envelope["sender"] == USER and spooled.envelope["domain"] == DOMAIN
    shown = json.loads(node.cli("quarantine", "show", "HELD1", "--json").stdout)
    assert shown["status"] == "released" and shown["queue_id"] == queue_id
    assert shown["released_by"].startswith("cli:")

    again = assert_one_line_error(node, "quarantine", "release", "HELD1")
    assert "released" in again
    assert node.spool_ids() == [queue_id]

    assert node.cli("quarantine", "delete", "HELD2").stdout.strip() == "deleted HELD2"
    assert not (node.data_dir / "quarantine" / "HELD2.eml").exists()
    assert_one_line_error(node, "quarantine", "release", "HELD2")
    assert_one_line_error(node, "quarantine", "delete", "HELD2")
    held = json.loads(node.cli("quarantine", "list", "--status", "held", "--json").stdout)
    assert held == []

    # The next start of the gateway takes the released message into its queue.
    node.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        queued = json.loads(node.cli("queue", "list", "--json").stdout)
        if queued:
            break
        time.sleep(0.1)
    assert [m["id"] for m in queued] == [queue_id]
    assert queued[0]["mail_from"] == USER and queued[0]["subject"] == "held for review"

"""The admin's view of the archive (F-ARCHIVE): `archive search` and `archive export` on an empty
archive, on an archive seeded in the store's own layout (gzip files plus index rows, as
archive/archive_store writes them), an mbox that Python's `mailbox` module reads, and bad
arguments refused with one line and a non-zero status.
"""
import gzip
import json
import mailbox
import os
import sqlite3
import stat

import pytest

DOMAIN = "example.com"
JAN_2024 = 1704110400  # 2024-01-01T12:00:00Z
FEB_2024 = 1706788800  # 2024-02-01T12:00:00Z


def seed(node, queue_id: str, at: int, mail_from: str, rcpts: list[str], subject: str,
         body: bytes, domain: str = DOMAIN) -> bytes:
    """Puts one message into the archive the way ArchiveStore::archive() lays it out."""
    message = (b"From: someone <someone@example.com>\r\nSubject: " + subject.encode() +
               b"\r\nMessage-ID: <" + queue_id.encode() + b"@example.com>\r\n\r\n" + body)
    month = "2024-01" if at < FEB_2024 else "2024-02"
    relative = f"{domain}/{month}/{queue_id}.eml.gz"
    path = node.data_dir / "archive" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(message))
    os.chmod(path, 0o600)
    with sqlite3.connect(node.data_dir / "postwarden.db") as db:
        db.execute("INSERT INTO archive (id, archived_at, domain, sender, mail_from, rcpt_to, "
                   "subject, header_message_id, size, path) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   (queue_id, at, domain, "alice@example.com", mail_from, json.dumps(rcpts),
                    subject, f"<{queue_id}@example.com>", len(message), relative))
    return message


@pytest.fixture
def cli_node(make_node):
    node = make_node()
    node.cli("domain", "add", DOMAIN)  # creates and migrates the database
    return node


def test_search_on_an_empty_archive(cli_node):
    result = cli_node.cli("archive", "search", "--domain", DOMAIN)
    assert result.returncode == 0
    assert "ID" in result.stdout
    assert json.loads(cli_node.cli("archive", "search", "--domain", DOMAIN, "--json").stdout) == []


def test_export_of_an_empty_archive_writes_an_empty_private_mbox(cli_node, tmp_path):
    out = tmp_path / "empty.mbox"
    result = cli_node.cli("archive", "export", "--domain", DOMAIN, "--out", str(out))
    assert result.stdout.strip() == f"exported 0 message(s) to {out}"
    assert out.read_bytes() == b""
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert len(mailbox.mbox(str(out))) == 0


def test_search_filters_and_json(cli_node):
    seed(cli_node, "A1", JAN_2024, "alice@example.com", ["bob@dest.test"], "report", b"hi\r\n")
    seed(cli_node, "A2", FEB_2024, "carol@example.com", ["dave@other.test"], "lunch", b"yo\r\n")
    rows = json.loads(cli_node.cli("archive", "search", "--domain", DOMAIN, "--json").stdout)
    assert [r["id"] for r in rows] == ["A2", "A1"]
    assert set(rows[0]) == {"id", "archived_at", "domain", "sender", "mail_from", "rcpt_to",
                            "subject", "message_id", "size"}
    assert rows[0]["rcpt_to"] == ["dave@other.test"]

    def ids(*args):
        out = cli_node.cli("archive", "search", "--domain", DOMAIN, "--json", *args).stdout
        return [r["id"] for r in json.loads(out)]

    assert ids("--sender", "CAROL@example.com") == ["A2"]
    assert ids("--recipient", "dest.test") == ["A1"]
    assert ids("--subject", "LUN") == ["A2"]
    assert ids("--since", "2024-01-15") == ["A2"]
    assert ids("--until", "2024-01-15") == ["A1"]
    assert ids("--limit", "1", "--offset", "1") == ["A1"]
    table = cli_node.cli("archive", "search", "--domain", DOMAIN).stdout
    assert "A1" in table and "<carol@example.com>" in table


def test_export_is_an_mboxrd_that_python_reads(cli_node, tmp_path):
    seed(cli_node, "A1", JAN_2024, "alice@example.com", ["bob@dest.test"], "report",
         b"From the start\r\n>From once\r\nplain\r\n")
    seed(cli_node, "A2", FEB_2024, "", ["bob@dest.test"], "bounce", b"no newline at the end")
    seed(cli_node, "B1", FEB_2024, "x@example.org", ["bob@dest.test"], "other",
         b"elsewhere\r\n", domain="example.org")
    out = tmp_path / "example.com.mbox"
    result = cli_node.cli("archive", "export", "--domain", DOMAIN, "--out", str(out))
    assert result.stdout.strip() == f"exported 2 message(s) to {out}"
    assert b"\r" not in out.read_bytes()

    box = mailbox.mbox(str(out))
    messages = list(box)
    assert [m["Subject"] for m in messages] == ["report", "bounce"]
    assert messages[0].get_from() == "alice@example.com Mon Jan  1 12:00:00 2024"
    assert messages[1].get_from() == "MAILER-DAEMON Thu Feb  1 12:00:00 2024"
    # Python's mbox does not undo the quoting; mboxrd readers drop one '>'.
    assert messages[0].get_payload() == ">From the start\n>>From once\nplain\n"
    assert messages[1].get_payload() == "no newline at the end\n"

    since = tmp_path / "since.mbox"
    cli_node.cli("archive", "export", "--domain", DOMAIN, "--since", str(FEB_2024),
                 "--out", str(since))
    assert [m["Subject"] for m in mailbox.mbox(str(since))] == ["bounce"]


@pytest.mark.parametrize("args", [
    ["archive", "search"],                                   # --domain is required
    ["archive", "search", "--domain", "../../etc"],
    ["archive", "search", "--domain", "a/b"],
    ["archive", "search", "--domain", DOMAIN, "--since", "yesterday-ish"],
    ["archive", "search", "--domain", DOMAIN, "--limit", "0"],
    ["archive", "search", "--domain", DOMAIN, "--offset", "-1"],
    ["archive", "export", "--domain", DOMAIN],               # --out is required
    ["archive", "export", "--domain", "../../etc", "--out", "/dev/null"],
    ["archive", "export", "--domain", DOMAIN, "--out", "/nonexistent-dir/x.mbox"],
    ["archive", "frobnicate"],
    ["archive"],
])
def test_bad_arguments_give_one_line_and_a_failure_status(cli_node, args):
    result = cli_node.cli(*args, check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("postwarden: ")
    assert result.stdout == ""

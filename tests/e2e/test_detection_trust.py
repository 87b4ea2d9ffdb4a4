"""Detection that customers can trust (F-SPAM, F-LOCK), end to end through a running gateway with
the model scripts/setup.sh trains:

- one password user sends every ordinary business message of today in tests/data/modern/ham's
  report half (160, never tuned on; the issue asks for 100 in 10 minutes) at default settings:
  none is held, the user is never locked;
- six GTUBE messages still lock the user at default settings;
- a held message that the administrator releases teaches the model ham: the next similar one
  passes; "confirm as spam" teaches it spam again: the next similar one is held.
"""
import email
import email.policy
import json
import pathlib
import re
import smtplib
import ssl
import time

import pytest

from conftest import REPO, SPAM_MODEL, wait_until
from delivery_fixtures import MX1_ADDR, SENDER_MX_ADDR, dns, make_gateway, mx_port, receivers
from test_spam_classifier import attempt, corpus, pick

__all__ = ["corpus", "dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

MODERN = REPO / "tests" / "data" / "modern"
USER = "carol@sender.test"
PASSWORD = "Blue-Fjord-7431-quill"
RCPT = "bob@dest.test"
MIN_ORDINARY_MESSAGES = 100
SEND_BUDGET_S = 600  # "100 ordinary messages in 10 minutes": here every report-half file, 160
MAX_HELD_OF_100 = 0  # the goal; measured on the report half (bench/README.md, "Detection")
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


def report_half(kind: str) -> list[pathlib.Path]:
    """The files of tests/data/modern/<kind> whose number is even: evaluation only."""
    files = sorted((MODERN / kind).glob(f"{kind}-*.eml"))
    chosen = [p for p in files if int(re.match(rf"{kind}-(\d+)", p.name).group(1)) % 2 == 0]
    assert len(chosen) >= 50, f"only {len(chosen)} report-half files in {MODERN / kind}"
    return chosen


def password_user(gw) -> None:
    gw.cli("user", "add", "--user", USER, "--password-stdin", stdin=PASSWORD + "\n")


def submit(gw, message: bytes, mail_from: str = USER):
    """One authenticated submission with smtplib; returns (code, text) of the reply to DATA.
    The files have LF line endings: the wire gets CRLF."""
    message = message.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as client:
        client.ehlo()
        client.starttls(context=context)
        client.ehlo()
        client.login(USER, PASSWORD)
        code, text = client.mail(mail_from, ["BODY=8BITMIME"])
        if code != 250:
            return code, text.decode()
        code, text = client.rcpt(RCPT)
        if code != 250:
            return code, text.decode()
        code, text = client.data(message)
        return code, text.decode()


def gateway_with_password_user(make_gateway, receivers):
    """A running gateway with the trained model and the password user, at default settings."""
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = make_gateway(start=False)
    gw.install_spam_model()
    password_user(gw)
    gw.start()
    return gw


def user_state(gw) -> dict:
    return json.loads(gw.cli("user", "show", USER, "--json").stdout)


def send_ordinary(gw, files) -> list[str]:
    """Every message of `files` once (at least MIN_ORDINARY_MESSAGES), within SEND_BUDGET_S; the
    quarantine ids of those held (every other reply must be 250)."""
    assert len(files) >= MIN_ORDINARY_MESSAGES
    started = time.monotonic()
    held, refused = [], []
    for path in files:
        code, text = submit(gw, path.read_bytes())
        found = re.search(r"quarantine id (\S+?)\)", text)
        if code == 550 and found:
            held.append(found.group(1))
        elif code != 250:
            refused.append(f"{path.name}: {code} {text}")
    assert time.monotonic() - started < SEND_BUDGET_S
    assert not refused, refused
    return held


def test_one_user_sends_160_ordinary_messages_and_is_never_held_or_locked(make_gateway, receivers):
    """None of the report half's 160 ordinary messages is held (the bound is the issue's goal,
    0), and the user is never locked. Should one ever be held, the administrator's release
    teaches the model, and the same messages then pass."""
    gw = gateway_with_password_user(make_gateway, receivers)
    files = report_half("ham")
    held = send_ordinary(gw, files)
    assert len(held) <= MAX_HELD_OF_100, held
    assert not user_state(gw).get("lock", {}).get("locked", False)
    for qid in held:
        gw.cli("quarantine", "release", qid)
    if held:
        assert wait_until(lambda: f"ham={len(held)} " in gw.log_text(), 15)
    assert send_ordinary(gw, files) == []
    assert not user_state(gw).get("lock", {}).get("locked", False)
    assert "event=locked" not in gw.log_text()


def test_six_gtube_messages_lock_the_user_at_default_settings(make_gateway, receivers):
    gw = gateway_with_password_user(make_gateway, receivers)
    ids = []
    for n in range(1, 7):
        message = (f"From: {USER}\r\nTo: {RCPT}\r\nSubject: test {n}\r\n\r\n{GTUBE}\r\n").encode()
        code, text = submit(gw, message)
        assert code == 550 and "quarantine id" in text, f"GTUBE {n}: {code} {text}"
        assert "tokens" not in text
        ids.append(re.search(r"quarantine id (\S+?)\)", text).group(1))
    state = user_state(gw)
    assert state["lock"]["locked"], state
    held = json.loads(gw.cli("quarantine", "list", "--json").stdout)
    assert sorted(row["id"] for row in held) == sorted(ids)
    # Locked: the next message, even an ordinary one, is refused at MAIL.
    code, text = submit(gw, report_half("ham")[0].read_bytes())
    assert code == 550 and "locked" in text, (code, text)


def similar(message: bytes, n: int) -> bytes:
    """The same message again as a sender's next one: a new Message-ID and a changed line."""
    text = message.replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    head = re.sub(rb"(?im)^message-id:.*\n", b"", head + b"\n")
    head += f"Message-ID: <again-{n}@sender.test>\n".encode()
    return (head + b"\n" + body + f"\nref {n}\n".encode()).replace(b"\n", b"\r\n")


def held_id(reply) -> str:
    found = re.search(r"quarantine id (\S+?)\)", reply.line)
    assert found, reply.line
    return found.group(1)


def test_release_teaches_ham_and_confirm_spam_teaches_spam(corpus, make_gateway, receivers):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    spam = pick(corpus / "test" / "spam", "spam", 1)[0]
    gw = make_gateway(start=False)
    gw.install_spam_model()
    gw.cli("user", "set", "127.0.0.2/32", "automatic_lock=off")
    gw.start()
    first = attempt(gw, spam)
    assert first.code == 550, first.line
    qid = held_id(first)
    # The administrator releases it: a ham example for the node's model.
    gw.cli("quarantine", "release", qid)
    assert wait_until(lambda: "event=spam_model_learned spam=0 ham=1" in gw.log_text(), 15)
    reply = attempt(gw, similar(spam, 1))
    assert reply.code == 250, reply.line
    # Now the administrator changes their mind: confirmed as spam, the next one is held again.
    out = gw.cli("quarantine", "confirm-spam", qid).stdout
    assert "confirmed" in out and "spam" in out
    assert wait_until(lambda: "event=spam_model_learned spam=1 ham=0" in gw.log_text(), 15)
    reply = attempt(gw, similar(spam, 2))
    assert reply.code == 550 and "quarantine" in reply.line, reply.line
    # Decisions survive a restart of the gateway: the model is rebuilt from the database.
    gw.stop()
    gw.start()
    reply = attempt(gw, similar(spam, 3))
    assert reply.code == 550, reply.line


def test_confirm_spam_refuses_unknown_and_deleted_messages(make_gateway):
    gw = make_gateway()
    bad = gw.cli("quarantine", "confirm-spam", "nosuchid", check=False)
    assert bad.returncode != 0 and "no quarantined message nosuchid" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


def test_train_from_decisions_folds_them_into_a_model_file(corpus, make_gateway, receivers,
                                                            tmp_path):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    spam = pick(corpus / "test" / "spam", "spam", 1)[0]
    gw = make_gateway(start=False)
    gw.install_spam_model()
    gw.start()
    qid = held_id(attempt(gw, spam))
    gw.cli("quarantine", "release", qid)
    out_model = tmp_path / "rebuilt.model"
    out = gw.cli("train", "--from-decisions", "--out", str(out_model)).stdout
    assert "decisions folded in: 0 spam, 1 ham" in out, out
    # The rebuilt model already holds the release: scanning the similar message says ham or
    # unsure, where the model file alone said spam.
    probe = tmp_path / "similar.eml"
    probe.write_bytes(similar(spam, 9))
    before = json.loads(gw.cli("scan", "--json", "--model", str(SPAM_MODEL), str(probe)).stdout)
    after = json.loads(gw.cli("scan", "--json", "--model", str(out_model), str(probe)).stdout)
    assert before[0]["verdict"] == "spam"
    assert after[0]["verdict"] != "spam", after[0]

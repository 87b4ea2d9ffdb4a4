"""Virus scanning with a real clamd (F-AV, F-LOCK-WHY): messages go through the gateway with
smtplib, clamd (tests/e2e/clamd_fixture.py, its own test database) scans them with INSTREAM, a
real receiver stands behind the gateway. A virus is refused 550 naming the signature and held in
quarantine; a clean message, or a user with block_viruses off, is delivered; a clamd that is not
there or never answers gives 451 and nothing is delivered; repeated viruses lock the user."""
import base64
import email
import email.policy
import json
import smtplib
import time

from clamd_fixture import EICAR, EICAR_NAME, MARKER, MARKER_NAME, clamd, silent_clamd
from delivery_fixtures import MX1_ADDR, SENDER_MX_ADDR, dns, make_gateway, mx_port, receivers
from smtp_wire import rfc5322_now

__all__ = ["clamd", "silent_clamd", "dns", "make_gateway", "mx_port", "receivers"]

IP_USER = "127.0.0.2/32"
SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
ADMIN = "abuse@sender.test"


def mime(subject: str, attachment: bytes | None = None, text: str = "Hello, see attached.",
         filename: str = "report.com") -> bytes:
    """A multipart message; the attachment base64 encoded, as a mail client sends it."""
    lines = [f"From: <{SENDER}>", f"To: <{RCPT}>", f"Subject: {subject}",
             f"Date: {rfc5322_now()}",
             f"Message-ID: <{subject.replace(' ', '-')}.{time.monotonic_ns()}@e2e.test>",
             "MIME-Version: 1.0", 'Content-Type: multipart/mixed; boundary="part-boundary"', "",
             "--part-boundary", "Content-Type: text/plain; charset=us-ascii", "", text]
    if attachment is not None:
        encoded = base64.encodebytes(attachment).decode().strip().split("\n")
        lines += ["--part-boundary", f'Content-Type: application/octet-stream; name="{filename}"',
                  "Content-Transfer-Encoding: base64",
                  f'Content-Disposition: attachment; filename="{filename}"', "", *encoded]
    lines += ["--part-boundary--", ""]
    return "\r\n".join(lines).encode()


def send(gw, data: bytes) -> tuple[int, str]:
    """One message with smtplib from the IP sender: (code, text) of the reply to the data."""
    with smtplib.SMTP("127.0.0.1", gw.port, source_address=("127.0.0.2", 0), timeout=60) as smtp:
        smtp.ehlo("client.e2e.test")
        try:
            smtp.sendmail(SENDER, [RCPT], data)
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()
        except smtplib.SMTPSenderRefused as e:
            return e.smtp_code, e.smtp_error.decode()
        except smtplib.SMTPRecipientsRefused as e:
            code, error = e.recipients[RCPT]
            return code, error.decode()
        return 250, "sent"


def gateway(make_gateway, clamd_socket: str, *settings, **clamd_keys):
    gw = make_gateway({"clamd": {"socket": clamd_socket, "timeout_ms": 10000, **clamd_keys}},
                      start=False)
    if settings:
        gw.cli("user", "set", IP_USER, *settings)
    gw.start()
    return gw


def quarantined(gw) -> list[dict]:
    return json.loads(gw.cli("quarantine", "list", "--json").stdout)


def decisions(gw, message_id: str) -> list[dict]:
    return json.loads(gw.cli("log", "decisions", "--message", message_id, "--json").stdout)


def assert_held_for(gw, signature: str, code: int, text: str) -> dict:
    assert code == 550 and text.startswith("5.7.1 Virus found: " + signature), (code, text)
    assert "quarantine id" in text
    [row] = quarantined(gw)
    assert row["status"] == "held" and row["check"] == "virus", row
    assert signature in row["reasons"] and row["sender"] == IP_USER and row["rcpt_to"] == [RCPT]
    assert row["id"] in text
    why = decisions(gw, row["id"])
    assert [(d["stage"], d["check"], d["action"]) for d in why] == [("data", "virus",
                                                                      "quarantine")]
    assert why[0]["reasons"] == f"virus: {signature}.UNOFFICIAL"
    return row


def test_eicar_attachment_is_refused_550_held_in_quarantine_and_logged(make_gateway, receivers,
                                                                       clamd):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, clamd.socket)
    assert "event=clamd_ready" in gw.log_text()
    code, text = send(gw, mime("eicar attached", EICAR))
    row = assert_held_for(gw, EICAR_NAME, code, text)
    shown = gw.cli("quarantine", "show", row["id"]).stdout
    assert "Subject: eicar attached" in shown and "virus" in shown
    assert "event=virus_found" in gw.log_text() and EICAR_NAME in gw.log_text()
    time.sleep(1)
    assert dest.messages() == []


def test_the_admin_report_is_a_virus_report_without_the_virus(make_gateway, receivers, clamd):
    receivers(MX1_ADDR)
    admin = receivers(SENDER_MX_ADDR)
    gw = make_gateway({"clamd": {"socket": clamd.socket}}, start=False)
    gw.cli("domain", "set", "sender.test", f"admin_contact={ADMIN}")
    gw.start()
    code, text = send(gw, mime("eicar for the report", EICAR))
    assert code == 550 and EICAR_NAME in text, (code, text)
    [report] = admin.wait_for(1, timeout=20)
    assert report.meta["rcpt_tos"] == [ADMIN]
    parsed = email.message_from_bytes(report.raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/report"
    parts = list(parsed.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "message/feedback-report",
                                                     "text/rfc822-headers"]
    assert b"Feedback-Type: virus" in report.raw and b"X-Postwarden-Check: virus" in report.raw
    assert b"Subject: eicar for the report" in report.raw
    encoded = base64.encodebytes(EICAR).split(b"\n")[0]
    assert EICAR not in report.raw and encoded not in report.raw


def test_the_custom_signature_is_found_like_a_virus(make_gateway, receivers, clamd):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, clamd.socket)
    code, text = send(gw, mime("marker", b"zip-like payload " + MARKER + b" and more",
                               filename="data.bin"))
    assert_held_for(gw, MARKER_NAME, code, text)
    # The marker in the text part is found as well.
    code, text = send(gw, mime("marker inline", text="inline " + MARKER.decode()))
    assert code == 550 and MARKER_NAME in text, (code, text)
    time.sleep(1)
    assert dest.messages() == []


def test_clean_mail_is_delivered_and_block_viruses_off_lets_eicar_through(make_gateway,
                                                                         receivers, clamd):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, clamd.socket)
    # EICAR plus one byte is another file: clean for the MD5 signature.
    code, text = send(gw, mime("clean one", EICAR + b"\n"))
    assert code == 250, text
    [got] = dest.wait_for(1, timeout=20)
    assert b"clean one" in got.raw and got.meta["rcpt_tos"] == [RCPT]
    assert quarantined(gw) == []
    gw.cli("user", "set", IP_USER, "block_viruses=false")
    shown = json.loads(gw.cli("user", "show", IP_USER, "--json").stdout)
    detail = {d["key"]: d for d in shown["settings_detail"]}
    assert detail["block_viruses"]["value"] == "false"
    time.sleep(1.5)  # the server picks the change up (reload_interval_ms)
    code, text = send(gw, mime("not scanned", EICAR))
    assert code == 250, text
    got = dest.wait_for(2, timeout=20)
    assert any(b"not scanned" in m.raw for m in got)
    assert quarantined(gw) == []


def test_clamd_not_there_gives_451_and_nothing_is_delivered(make_gateway, receivers, tmp_path):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    nothing = f"/tmp/pw-no-clamd-{time.monotonic_ns()}.sock"
    gw = gateway(make_gateway, nothing)
    assert "event=clamd_unreachable" in gw.log_text()
    code, text = send(gw, mime("clean but unscannable", b"harmless"))
    assert code == 451 and text.startswith("4.7.1 Virus scan failed"), (code, text)
    assert "cannot connect to clamd" in text
    assert "event=virus_scan_failed" in gw.log_text() and "on_failure=tempfail" in gw.log_text()
    time.sleep(1)
    assert dest.messages() == [] and quarantined(gw) == []


def test_on_failure_accept_delivers_unscanned_and_logs_it(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    nothing = f"/tmp/pw-no-clamd-{time.monotonic_ns()}.sock"
    gw = gateway(make_gateway, nothing, on_failure="accept")
    code, text = send(gw, mime("accepted unscanned", b"harmless"))
    assert code == 250, text
    [got] = dest.wait_for(1, timeout=20)
    assert b"accepted unscanned" in got.raw
    log = gw.log_text()
    assert "event=virus_scan_failed" in log and "on_failure=accept" in log


def test_a_clamd_that_never_answers_gives_451_within_the_timeout(make_gateway, receivers,
                                                                 silent_clamd):
    dest = receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, silent_clamd.path, timeout_ms=1000)
    start = time.monotonic()
    code, text = send(gw, mime("to a silent clamd", b"harmless"))
    took = time.monotonic() - start
    assert code == 451 and "did not answer within 1000 ms" in text, (code, text)
    assert 1.0 <= took < 4.0, took
    assert silent_clamd.accepted >= 2  # the PING at start, then the scan
    time.sleep(1)
    assert dest.messages() == []


def test_repeated_viruses_lock_the_user_and_the_reason_says_virus(make_gateway, receivers,
                                                                  clamd):
    receivers(MX1_ADDR)
    receivers(SENDER_MX_ADDR)
    gw = gateway(make_gateway, clamd.socket, "lock_spam_threshold=2", "lock_window_minutes=10")
    for n in range(1, 4):
        code, text = send(gw, mime(f"virus {n}", EICAR))
        assert code == 550 and EICAR_NAME in text, f"message {n}: {code} {text}"
        lock = json.loads(gw.cli("user", "show", IP_USER, "--json").stdout).get("lock", {})
        assert lock.get("locked", False) == (n == 3), f"after message {n}: {lock}"
    assert lock["locked_by"] == "automatic"
    assert lock["reason"].startswith(
        "3 spam or virus messages in 10 minutes (more than 2), "
        f"found by the virus check (virus: {EICAR_NAME}"), lock["reason"]
    # F-LOCK-WHY: the lock names the held messages by their quarantine ids.
    assert all(row["id"] in lock["reason"] for row in quarantined(gw)), lock["reason"]
    # Locked: even clean mail is refused now.
    code, text = send(gw, mime("clean after the lock", b"harmless"))
    assert code == 550 and "locked" in text, (code, text)
    assert len(quarantined(gw)) == 3


def test_bad_clamd_settings_stop_the_start(make_gateway):
    gw = make_gateway({"clamd": {"socket": "relative/clamd.sock"}}, start=False)
    refused = gw.serve_expecting_refusal()
    assert refused.returncode != 0 and "[clamd] socket" in refused.stderr, refused.stderr
    gw = make_gateway({"clamd": {"on_failure": "maybe"}}, name="gw2", provision=False,
                      start=False)
    refused = gw.serve_expecting_refusal()
    assert refused.returncode != 0 and "on_failure" in refused.stderr, refused.stderr


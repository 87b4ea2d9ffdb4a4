"""F-FUZZY end to end: the admin's hash block list (`postwarden hash add|list|remove`) and
outbreak detection, against the real gateway with real receivers behind it. A listed attachment
(SHA-256) or a body whose fuzzy fingerprint matches a listed one is held in quarantine as spam;
the same campaign sent by `[fuzzy] outbreak_users` distinct users within the window is held too.
Changes made with the CLI reach the running gateway at its next reload."""
import email
import email.policy
import json
import time
from email.message import EmailMessage

from delivery_fixtures import (MX1_ADDR, dns, make_gateway, mx_port, receivers)

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

SENDER = "alice@sender.test"
RCPT = "bob@dest.test"
RELOAD_WAIT_S = 1.5  # the gateway polls the config generation every second (reload_interval_ms)


def attempt(gw, data, source="127.0.0.2", rcpt=RCPT):
    """One transaction; returns the first refusal or the reply to the data."""
    wire = gw.session(source=source)
    try:
        for command in (f"MAIL FROM:<{SENDER}>", f"RCPT TO:<{rcpt}>"):
            reply = wire.cmd(command)
            if reply.code != 250:
                return reply
        reply = wire.data(data)
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def build(subject, body, attachment=None, to=RCPT):
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}.{time.monotonic_ns()}@e2e.test>"
    msg.set_content(body)
    if attachment:
        name, content = attachment
        msg.add_attachment(content, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=email.policy.SMTP)


def campaign(name, amount, reference):
    return (f"Dear {name},\n\nWe are pleased to inform you that your account has been selected "
            f"for an exclusive reward of {amount} EUR. To claim your reward, confirm your details "
            f"within the next 48 hours by following the secure link below. Your reference number "
            f"is {reference}.\n\nhttps://claims.example.net/confirm?ref={reference}\n\nIf you do "
            f"not confirm in time the reward goes to the next customer on our list. We thank you "
            f"for being a loyal member of our community and look forward to serving you again."
            f"\n\nKind regards,\nThe Rewards Team\n")


UNRELATED = ("Hi Bob, the quarterly planning meeting moves to Thursday afternoon because the main "
             "conference room is being repainted. Please bring your project updates, the draft "
             "budget for the next release and any open questions about the build servers.\n")


def quarantined(gw):
    return json.loads(gw.cli("quarantine", "list", "--json").stdout)


def hash_list(gw):
    return json.loads(gw.cli("hash", "list", "--json").stdout)


def subjects(messages):
    return sorted(email.message_from_bytes(m.raw)["Subject"] for m in messages)


def test_listed_attachment_is_quarantined_naming_the_hash_and_other_messages_pass(
        make_gateway, receivers, tmp_path):
    dest = receivers(MX1_ADDR)
    gw = make_gateway()
    dropper = b"MZ-not-really-but-a-payload-" + bytes(range(256)) * 4
    path = tmp_path / "dropper.bin"
    path.write_bytes(dropper)
    added = gw.cli("hash", "add", "--file", str(path), "--note", "dropper seen in campaign 7")
    assert "added hash block list entry" in added.stdout and "sha256" in added.stdout
    [entry] = hash_list(gw)
    time.sleep(RELOAD_WAIT_S)

    reply = attempt(gw, build("with dropper", "See the attached file.", ("invoice.pdf", dropper)))
    assert reply.code == 550 and "quarantine id" in reply.line, reply.line
    [row] = quarantined(gw)
    assert row["check"] == "fuzzy_hash"
    assert "hash_blocklist" in row["reasons"] and "invoice.pdf" in row["reasons"]
    assert f"entry {entry['id']} (dropper seen in campaign 7)" in row["reasons"], row["reasons"]

    other = build("other attachment", "See the attached file.", ("notes.bin", b"harmless bytes"))
    assert attempt(gw, other).code == 250
    assert attempt(gw, build("plain", UNRELATED)).code == 250
    assert subjects(dest.wait_for(2, timeout=20)) == ["other attachment", "plain"]


def test_listed_campaign_is_caught_with_another_name_and_numbers(make_gateway, receivers,
                                                                 tmp_path):
    dest = receivers(MX1_ADDR)
    gw = make_gateway()
    sample = tmp_path / "campaign.eml"
    sample.write_bytes(build("sample", campaign("John Smith", "1,250", "AB-77812")))
    added = gw.cli("hash", "add", "--message", str(sample), "--note", "reward phish")
    assert "fuzzy" in added.stdout and "fz1:" in added.stdout
    time.sleep(RELOAD_WAIT_S)

    variant = build("variant", campaign("Maria Lopez", "980", "XK-10293"), to="carol@dest.test")
    reply = attempt(gw, variant, rcpt="carol@dest.test")
    assert reply.code == 550 and "quarantine id" in reply.line, reply.line
    [row] = quarantined(gw)
    assert "fuzzy_blocklist" in row["reasons"] and "reward phish" in row["reasons"]
    assert "similarity" in row["reasons"], row["reasons"]

    assert attempt(gw, build("unrelated", UNRELATED)).code == 250
    assert subjects(dest.wait_for(1, timeout=20)) == ["unrelated"]


def test_same_campaign_from_three_users_is_an_outbreak_at_the_third(make_gateway, receivers):
    dest = receivers(MX1_ADDR)
    gw = make_gateway(start=False)
    for ip in ("127.0.0.3/32", "127.0.0.4/32"):
        gw.cli("user", "add", "--ip", ip, "--owner", "sender.test")
    gw.start()

    first = attempt(gw, build("one", campaign("Ann", "100", "R-1")), source="127.0.0.2")
    again = attempt(gw, build("one again", campaign("Ben", "200", "R-2")), source="127.0.0.2")
    second = attempt(gw, build("two", campaign("Cid", "300", "R-3")), source="127.0.0.3")
    assert (first.code, again.code, second.code) == (250, 250, 250), (first, again, second)
    third = attempt(gw, build("three", campaign("Dora", "400", "R-4")), source="127.0.0.4")
    assert third.code == 550 and "quarantine id" in third.line, third.line
    [row] = quarantined(gw)
    assert row["check"] == "fuzzy_hash" and "outbreak" in row["reasons"]
    assert "3 distinct users" in row["reasons"] and "60 minutes" in row["reasons"], row["reasons"]
    # Other text from the third user still passes.
    assert attempt(gw, build("unrelated", UNRELATED), source="127.0.0.4").code == 250
    assert subjects(dest.wait_for(4, timeout=20)) == ["one", "one again", "two", "unrelated"]
    assert "event=policy stage=data check=fuzzy_hash action=quarantine" in gw.log_text()


def test_list_json_and_remove_then_the_message_passes(make_gateway, receivers, tmp_path):
    dest = receivers(MX1_ADDR)
    gw = make_gateway()
    payload = b"listed then unlisted payload"
    import hashlib
    digest = hashlib.sha256(payload).hexdigest()
    gw.cli("hash", "add", "--sha256", digest.upper(), "--note", "temporary")
    fp_added = gw.cli("hash", "add", "--message", str(_write(tmp_path, campaign("X", "1", "Y"))))
    fingerprint = fp_added.stdout.split()[-1]
    listed = hash_list(gw)
    assert [(e["kind"], e["value"], e["note"]) for e in listed] == [
        ("sha256", digest, "temporary"), ("fuzzy", fingerprint, "")]
    assert all(e["id"] and e["created"].endswith("Z") for e in listed)
    table = gw.cli("hash", "list").stdout
    assert "ID" in table and digest in table
    time.sleep(RELOAD_WAIT_S)
    message = build("payload", "See the attached file.", ("p.bin", payload))
    assert attempt(gw, message).code == 550

    removed = gw.cli("hash", "remove", str(listed[0]["id"]))
    assert f"removed hash block list entry {listed[0]['id']}" in removed.stdout
    assert [e["kind"] for e in hash_list(gw)] == ["fuzzy"]
    time.sleep(RELOAD_WAIT_S)
    assert attempt(gw, build("payload again", "See the attached file.", ("p.bin", payload))).code == 250
    assert subjects(dest.wait_for(1, timeout=20)) == ["payload again"]


def test_message_with_attachments_lists_body_and_each_attachment(make_gateway, tmp_path):
    gw = make_gateway(start=False)
    path = tmp_path / "sample.eml"
    path.write_bytes(build("sample", campaign("Al", "5", "Q-9"), ("a.bin", b"first payload")))
    shown = json.loads(gw.cli("hash", "fingerprint", str(path), "--json").stdout)
    import hashlib
    assert shown["attachments"] == [{"file": "a.bin", "size": 13,
                                     "sha256": hashlib.sha256(b"first payload").hexdigest()}]
    gw.cli("hash", "add", "--message", str(path), "--attachments", "--note", "kit")
    listed = hash_list(gw)
    assert [(e["kind"], e["value"], e["note"]) for e in listed] == [
        ("fuzzy", shown["fuzzy"], "kit"),
        ("sha256", hashlib.sha256(b"first payload").hexdigest(), "kit")]


def _write(tmp_path, body):
    path = tmp_path / f"m{time.monotonic_ns()}.eml"
    path.write_bytes(build("sample", body))
    return path


def test_bad_input_gets_one_line_errors(make_gateway, tmp_path):
    gw = make_gateway(start=False)
    short = _write(tmp_path, "Thanks, see you at 10.")
    cases = [
        (("hash", "add", "--sha256", "abc"), "64 hex digits"),
        (("hash", "add", "--sha256", "g" * 64), "64 hex digits"),
        (("hash", "add", "--fuzzy", "fz1:tooshort"), "characters"),
        (("hash", "add", "--fuzzy", "abc"), "fz1:"),
        (("hash", "add", "--file", str(tmp_path / "missing.bin")), "cannot read"),
        (("hash", "add", "--message", str(short)), "too short to fingerprint"),
        (("hash", "add"), "exactly one of"),
        (("hash", "add", "--sha256", "a" * 64, "--fuzzy", "fz1:x"), "exactly one of"),
        (("hash", "add", "--sha256", "a" * 64, "--attachments"), "--attachments goes with"),
        (("hash", "add", "--sha256", "a" * 64, "--note", "two\nlines"), "one line"),
        (("hash", "remove", "999"), "no hash block list entry 999"),
    ]
    for args, expected in cases:
        result = gw.cli(*args, check=False)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        err = result.stderr.strip()
        assert err.startswith("postwarden: ") and "\n" not in err, (args, err)
        assert expected in err, (args, err)
    gw.cli("hash", "add", "--sha256", "a" * 64)
    dup = gw.cli("hash", "add", "--sha256", "A" * 64, check=False)
    assert dup.returncode == 1 and "listed already as entry" in dup.stderr
    assert len(hash_list(gw)) == 1

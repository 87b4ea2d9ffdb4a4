"""Newly registered domains end to end (F-NRD, seed 002: "Reject messages from newly registered
domains - any message sent from a domain that is newly registered (less than a day) will be
rejected"): `postwarden nrd import` of a CSV feed into a running gateway, then the envelope
sender at MAIL and the header From at DATA, for a user with reject_new_domains and one without."""
import datetime
import json

from conftest import wait_until
from delivery_fixtures import MX1_ADDR, SENDER_DOMAIN, dns, make_gateway, mx_port, receivers
from smtp_wire import message

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

RCPT = "bob@dest.test"
STRICT = "127.0.0.2"  # reject_new_domains=true
LAX = "127.0.0.3"     # the default (false)


def iso(delta: datetime.timedelta) -> str:
    return (datetime.datetime.now(datetime.timezone.utc) - delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed(tmp_path, text: str):
    path = tmp_path / "nrd.csv"
    path.write_text(text)
    return str(path)


def gateway(make_gateway):
    gw = make_gateway(start=False)
    gw.cli("user", "add", "--ip", f"{LAX}/32", "--owner", SENDER_DOMAIN)
    gw.cli("user", "set", f"{STRICT}/32", "reject_new_domains=true", "reauth_permitted=true")
    gw.cli("user", "set", f"{LAX}/32", "reauth_permitted=true")
    gw.start()
    return gw


def attempt(gw, source: str, mail_from: str, header_from: str | None = None):
    """One transaction; returns (stage, reply) of the first refusal or of the data."""
    wire = gw.session(source=source)
    try:
        reply = wire.cmd(f"MAIL FROM:<{mail_from}>")
        if reply.code != 250:
            return "mail", reply
        reply = wire.cmd(f"RCPT TO:<{RCPT}>")
        if reply.code != 250:
            return "rcpt", reply
        reply = wire.data(message(subject="nrd", sender=header_from or mail_from, to=RCPT))
        wire.cmd("QUIT")
        return "data", reply
    finally:
        wire.close()


def mail_only(gw, source: str, mail_from: str):
    """MAIL and QUIT: the reply to MAIL, without sending a message."""
    wire = gw.session(source=source)
    try:
        reply = wire.cmd(f"MAIL FROM:<{mail_from}>")
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def wait_for_reload(gw):
    """The import bumped the config generation; the running gateway reloads (bounded wait)."""
    assert wait_until(lambda: mail_only(gw, STRICT, "alice@newdom.test").code == 550, 10), (
        "the import did not reach the running gateway")


def import_feed(gw, tmp_path):
    text = ("domain,registered\n"
            f"NewDom.test,{iso(datetime.timedelta(hours=2))}\n"
            f"olddom.test,{iso(datetime.timedelta(days=3))}\n")
    out = gw.cli("nrd", "import", feed(tmp_path, text)).stdout
    assert out.startswith("imported 2 domain(s)"), out


def test_a_new_envelope_domain_is_refused_at_mail_an_old_one_passes(make_gateway, receivers,
                                                                     tmp_path):
    receiver = receivers(MX1_ADDR)
    gw = gateway(make_gateway)
    assert mail_only(gw, STRICT, "alice@newdom.test").code == 250  # not in the feed yet
    import_feed(gw, tmp_path)
    listed = json.loads(gw.cli("nrd", "list", "--json").stdout)
    assert [(d["domain"], d["new"]) for d in listed] == [("newdom.test", True),
                                                         ("olddom.test", False)]
    wait_for_reload(gw)
    stage, reply = attempt(gw, STRICT, "alice@newdom.test")
    assert (stage, reply.code) == ("mail", 550), reply
    assert "5.7.1" in reply.first and "Sender domain newdom.test was registered" in reply.first
    assert "(less than 1 day ago)" in reply.first
    # A subdomain is judged by its registered parent.
    stage, reply = attempt(gw, STRICT, "alice@mail.newdom.test")
    assert (stage, reply.code) == ("mail", 550) and "newdom.test" in reply.first, reply
    # Three days old: passes, and is delivered.
    stage, reply = attempt(gw, STRICT, "alice@olddom.test")
    assert (stage, reply.code) == ("data", 250), reply
    # A user without the setting may send from the new domain.
    stage, reply = attempt(gw, LAX, "alice@newdom.test")
    assert (stage, reply.code) == ("data", 250), reply
    assert len(receiver.wait_for(2)) == 2
    check = gw.cli("nrd", "check", "mail.NewDom.test").stdout
    assert "by its parent newdom.test" in check and "new" in check
    assert "not in the feed" in gw.cli("nrd", "check", "other.test").stdout


def test_a_new_header_from_domain_is_refused_at_data(make_gateway, receivers, tmp_path):
    receivers(MX1_ADDR)
    gw = gateway(make_gateway)
    import_feed(gw, tmp_path)
    wait_for_reload(gw)
    stage, reply = attempt(gw, STRICT, "alice@olddom.test", header_from="ceo@newdom.test")
    assert (stage, reply.code) == ("data", 550), reply
    assert "Header From domain newdom.test was registered" in reply.first


def test_a_bad_feed_is_refused_whole_with_its_line_number(make_gateway, tmp_path):
    gw = make_gateway(start=False)
    text = ("good.test,2026-01-01\n"
            "also-good.test,2026-01-02T10:00:00Z\n"
            "bad domain.test,2026-01-03\n")
    result = gw.cli("nrd", "import", feed(tmp_path, text), check=False)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1, result.stderr
    assert "line 3" in result.stderr and "nothing imported" in result.stderr, result.stderr
    assert json.loads(gw.cli("nrd", "list", "--json").stdout) == []
    bad_date = gw.cli("nrd", "import", feed(tmp_path, "x.test,25.11.2026\n"), check=False)
    assert bad_date.returncode != 0 and "line 1: date" in bad_date.stderr, bad_date.stderr
    missing = gw.cli("nrd", "import", str(tmp_path / "nope.csv"), check=False)
    assert missing.returncode != 0 and "cannot read" in missing.stderr

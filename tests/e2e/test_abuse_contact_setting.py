"""The abuse contact stored in the database (F-PANEL: `PUT /api/v1/settings`, here through its
CLI twin `postwarden settings set`) reaches a running gateway: with no domain contact and none in
the config file, the ARF report of a quarantined message goes to the stored address; cleared,
the gateway has no one to send it to again."""
import json
import time

from conftest import wait_until
from delivery_fixtures import (MX1_ADDR, SENDER_MX_ADDR, dns, make_gateway, mx_port, receivers)
from smtp_wire import message

__all__ = ["dns", "make_gateway", "mx_port", "receivers"]  # fixtures used by name

GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
SENDER = "alice@sender.test"
STORED = "abuse-desk@sender.test"
RCPT = "bob@dest.test"


def send_spam(gw, subject):
    wire = gw.session(source="127.0.0.2")
    try:
        assert wire.cmd(f"MAIL FROM:<{SENDER}>").code == 250
        assert wire.cmd(f"RCPT TO:<{RCPT}>").code == 250
        reply = wire.data(message(subject=subject, body=f"Buy now.\n{GTUBE}", sender=SENDER,
                                  to=RCPT))
        wire.cmd("QUIT")
        return reply
    finally:
        wire.close()


def test_stored_abuse_contact_receives_the_arf_report_of_a_running_gateway(make_gateway,
                                                                           receivers):
    receivers(MX1_ADDR)
    desk = receivers(SENDER_MX_ADDR)
    gw = make_gateway(start=True)
    shown = json.loads(gw.cli("settings", "show", "--json").stdout)
    assert shown == {"abuse_contact": "", "abuse_contact_stored": ""}

    # Stored while the gateway runs: it must pick the change up without a restart.
    out = gw.cli("settings", "set", f"abuse_contact={STORED.upper()}").stdout
    assert out.strip() == f"abuse_contact={STORED}"
    assert json.loads(gw.cli("settings", "show", "--json").stdout)["abuse_contact"] == STORED
    bad = gw.cli("settings", "set", "abuse_contact=not an address", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("postwarden: abuse contact")
    time.sleep(2)  # more than the reload interval
    reply = send_spam(gw, "to the stored desk")
    assert reply.code == 550, reply.line
    [report] = desk.wait_for(1, timeout=20)
    assert report.meta["rcpt_tos"] == [STORED]
    assert b"feedback-report" in report.raw and b"to the stored desk" in report.raw

    # Cleared: back to the config file's (none), so no report is sent.
    gw.cli("settings", "set", "abuse_contact=")
    time.sleep(2)
    assert send_spam(gw, "to nobody").code == 550
    assert wait_until(lambda: "event=arf_not_sent" in gw.log_text(), 10)
    time.sleep(1)
    assert len(desk.messages()) == 1

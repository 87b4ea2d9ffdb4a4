"""STARTTLS command injection (CVE-2011-0411 class): commands pipelined after STARTTLS in the
same packet arrive in the clear and must be thrown away, never executed inside the TLS session.
"""
import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT
from smtp_wire import message

INJECTIONS = {
    "rset": b"RSET\r\n",
    "mail": b"MAIL FROM:<x@example.com>\r\n",
    "ehlo_mail_rcpt": b"EHLO evil.test\r\nMAIL FROM:<x@example.com>\r\nRCPT TO:<victim@example.net>\r\n",
}


@pytest.mark.parametrize("name", list(INJECTIONS))
def test_commands_pipelined_after_starttls_are_not_executed(node, name):
    # From an IP sender: an injected MAIL/RCPT would be accepted if it ran.
    wire = node.session(source=IP_SENDER_ADDR)
    # One send() of a few dozen octets on loopback is one segment: the server reads it at once.
    wire.starttls(pipelined=INJECTIONS[name])
    # The first command inside TLS gets the first reply: nothing injected answered before it,
    # and RCPT without a MAIL of our own is a bad sequence.
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.assert_silent()
    # The TLS session itself is sound: a full transaction works.
    wire.ehlo()
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    queue_id = wire.submit("news@example.com", [RECIPIENT], message("after starttls")).queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    assert spooled.envelope["rcpt_to"] == [RECIPIENT]
    assert spooled.envelope["mail_from"] == "news@example.com"
    assert spooled.envelope["tls"] is True
    assert node.spool_ids() == [queue_id]


def test_ehlo_reply_is_first_after_injected_rset(node):
    wire = node.session(source=IP_SENDER_ADDR)
    wire.starttls(pipelined=b"RSET\r\n")
    reply = wire.ehlo()
    # An executed RSET would have answered "250 2.0.0 ..." before the EHLO's multi-line reply.
    if len(reply.texts) < 2 or reply.texts[0].startswith("2.0.0"):
        wire.fail(f"first reply inside TLS is not the EHLO reply: {reply}")
    wire.assert_silent()
    wire.quit()


def test_starttls_twice_is_refused(node):
    wire = node.session()
    wire.starttls()
    wire.ehlo()
    wire.expect("STARTTLS", 503, "5.5.1")
    wire.expect("NOOP", 250)
    wire.quit()

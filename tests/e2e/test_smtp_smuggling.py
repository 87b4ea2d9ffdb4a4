"""SMTP smuggling: only <CR><LF>.<CR><LF> ends DATA. A message holding a bare LF or bare CR is
refused with 550 5.6.0 after the real end of data, and the commands smuggled after a fake end
are never executed; nothing is spooled. Clean CRLF messages pass byte for byte.
"""
import time

import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT
from smtp_wire import message, rfc5322_now

FAKE_ENDS = {
    "lf_dot_lf": b"\n.\n",
    "cr_dot_cr": b"\r.\r",
    "lf_dot_crlf": b"\n.\r\n",
    "crlf_dot_lf": b"\r\n.\n",
}
# What a vulnerable server would run as a second transaction. No CRLF.CRLF in here: the real
# end of data comes later, on its own.
SMUGGLED = (b"MAIL FROM:<admin@example.com>\r\n"
            b"RCPT TO:<victim@example.net>\r\n"
            b"DATA\r\n"
            b"From: <admin@example.com>\r\nTo: <victim@example.net>\r\nSubject: smuggled\r\n\r\n"
            b"This message was smuggled.\r\n")
HEADER = (b"From: <news@example.com>\r\nTo: <bob@example.net>\r\nSubject: smuggling\r\n\r\n"
          b"Body before the fake end.")


def open_data(node):
    wire = node.session(source=IP_SENDER_ADDR)
    wire.expect("MAIL FROM:<news@example.com>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    return wire


@pytest.mark.parametrize("name", list(FAKE_ENDS))
def test_fake_end_of_data_does_not_end_data_and_message_is_refused(node, name):
    wire = open_data(node)
    wire.send(HEADER + FAKE_ENDS[name] + SMUGGLED)
    # Still inside DATA: no reply to the fake end, nor to any smuggled command.
    wire.assert_silent(1.0)
    wire.send(b"More text after the smuggled part.\r\n.\r\n")
    reply = wire.read_reply()
    wire.check(reply, 550, "5.6.0", where="after the real end of data")
    # Exactly one reply for the whole of it.
    wire.assert_silent()
    # The session goes on normally, with no transaction open.
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.quit()
    assert node.spool_count() == 0


@pytest.mark.parametrize("name", list(FAKE_ENDS))
def test_fake_end_of_data_split_over_packets_does_not_end_data(node, name):
    """The same, with the fake end arriving one octet per packet: state carries across reads."""
    wire = open_data(node)
    wire.send(HEADER)
    for octet in FAKE_ENDS[name]:
        time.sleep(0.05)
        wire.send(bytes([octet]))
    time.sleep(0.05)
    wire.send(SMUGGLED)
    wire.assert_silent(0.7)
    wire.send(b"\r\n.\r\n")
    wire.check(wire.read_reply(), 550, "5.6.0", where="after the real end of data")
    wire.assert_silent()
    wire.quit()
    assert node.spool_count() == 0


@pytest.mark.parametrize("bare", [b"\n", b"\r"], ids=["bare_lf", "bare_cr"])
def test_bare_line_end_inside_data_is_refused(node, bare):
    wire = open_data(node)
    wire.send(b"Subject: bare\r\n\r\nline one" + bare + b"line two\r\n.\r\n")
    wire.check(wire.read_reply(), 550, "5.6.0", where="for data with a bare line end")
    wire.quit()
    assert node.spool_count() == 0


def test_refused_message_does_not_poison_the_next_transaction(node):
    wire = open_data(node)
    wire.send(HEADER + b"\n.\n" + SMUGGLED + b".\r\n")
    wire.check(wire.read_reply(), 550, "5.6.0")
    sent = message("clean after smuggling", sender="news@example.com")
    queue_id = wire.submit("news@example.com", [RECIPIENT], sent).queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    assert spooled.envelope["rcpt_to"] == [RECIPIENT]
    assert spooled.raw.endswith(sent)
    assert node.spool_ids() == [queue_id]


def test_clean_crlf_message_is_accepted_byte_for_byte(node):
    wire = open_data(node)
    # Date and Message-ID included: the gateway adds nothing, so the spool must end with this.
    header = (f"From: <news@example.com>\r\nTo: <bob@example.net>\r\nSubject: clean\r\n"
              f"Date: {rfc5322_now()}\r\nMessage-ID: <clean.{time.monotonic_ns()}@e2e.test>\r\n")
    sent = (header.encode() + b"\r\n"
            b"Line with a dot inside . here\r\n"
            b"..Line that started with a dot\r\n"
            b"\r\n"
            b"Last line.\r\n")
    wire.send(sent + b".\r\n")
    queue_id = wire.read_reply().queue_id()
    wire.quit()
    spooled = node.spooled(queue_id)
    unstuffed = sent.replace(b"\r\n..Line", b"\r\n.Line")
    assert spooled.headers_added(unstuffed).startswith(b"Received: ")
    assert node.spool_ids() == [queue_id]


def test_data_split_across_packets_at_the_end_marker_is_accepted(node):
    """The end marker may arrive in pieces; it is found across reads."""
    wire = open_data(node)
    sent = message("split end", sender="news@example.com")
    wire.send(sent + b".")
    wire.assert_silent(0.3)
    wire.send(b"\r")
    wire.assert_silent(0.3)
    wire.send(b"\n")
    queue_id = wire.read_reply().queue_id()
    wire.quit()
    assert node.spooled(queue_id).raw.endswith(sent)

"""Every limit is enforced with the contract's reply: command line length (500 5.5.2), recipients
(452 4.5.3), message size (552 5.3.4, by SIZE= and by bytes), NUL octets (500 5.5.2 in a command,
550 5.6.0 in data), idle and data time-outs (421 4.4.2), and too many errors (421 4.7.0).
Nothing refused reaches the spool, and the session stays usable where the contract says so.
"""
import time

import pytest

from conftest import IP_SENDER_ADDR, RECIPIENT
from smtp_wire import message

SENDER = "news@example.com"


def ip_session(node):
    return node.session(source=IP_SENDER_ADDR)


def noop_of_length(total: int) -> bytes:
    """A NOOP line of exactly `total` octets, CRLF included."""
    return b"NOOP " + b"x" * (total - len(b"NOOP ") - 2)


# --- command line length -----------------------------------------------------------------------
def test_command_line_at_the_limit_is_accepted(node):
    wire = ip_session(node)
    wire.expect(noop_of_length(512), 250, "2.0.0")
    wire.quit()


def test_overlong_command_line_is_refused_and_its_rest_is_not_run(node):
    wire = ip_session(node)
    wire.expect(noop_of_length(513), 500, "5.5.2")
    wire.assert_silent()
    # The excess of a long line is drained, never read as a command of its own.
    wire.send(b"NOOP " + b"y" * 600 + b"RSET\r\n")
    wire.check(wire.read_reply(), 500, "5.5.2", where="after a 611-octet line")
    wire.assert_silent()
    long_mail = "MAIL FROM:<" + "a" * 600 + "@example.com>"
    wire.expect(long_mail, 500, "5.5.2")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.expect("NOOP", 250, "2.0.0")
    queue_id = wire.submit(SENDER, [RECIPIENT], message("after long lines")).queue_id()
    wire.quit()
    assert node.spool_ids() == [queue_id]


@pytest.mark.pw_config(smtp={"max_command_line_length": 128})
def test_command_line_limit_follows_config(node):
    wire = ip_session(node)
    wire.expect(noop_of_length(128), 250, "2.0.0")
    wire.expect(noop_of_length(129), 500, "5.5.2")
    wire.quit()


# --- recipients --------------------------------------------------------------------------------
@pytest.mark.pw_config(smtp={"max_recipients": 3})
def test_recipient_over_the_limit_gets_452_and_the_rest_is_delivered(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    rcpts = [f"r{i}@example.net" for i in range(1, 4)]
    for rcpt in rcpts:
        wire.expect(f"RCPT TO:<{rcpt}>", 250, "2.1.5")
    wire.expect("RCPT TO:<r4@example.net>", 452, "4.5.3")
    wire.expect("RCPT TO:<r5@example.net>", 452, "4.5.3")
    queue_id = wire.data(message("three recipients")).queue_id()
    wire.quit()
    assert node.spooled(queue_id).envelope["rcpt_to"] == rcpts


def test_default_recipient_limit_is_100(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    # Pipelined, as a real client would send a hundred recipients.
    wire.send(b"".join(b"RCPT TO:<r%d@example.net>\r\n" % i for i in range(1, 102)))
    for i in range(1, 101):
        wire.check(wire.read_reply(), 250, "2.1.5", where=f"to recipient {i}")
    wire.check(wire.read_reply(), 452, "4.5.3", where="to recipient 101")
    queue_id = wire.data(message("hundred recipients")).queue_id()
    wire.quit()
    assert len(node.spooled(queue_id).envelope["rcpt_to"]) == 100


# --- message size ------------------------------------------------------------------------------
@pytest.mark.pw_config(smtp={"max_message_size": 2048})
def test_size_parameter_over_the_limit_is_refused_at_mail(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}> SIZE=4096", 552, "5.3.4")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.expect(f"MAIL FROM:<{SENDER}> SIZE=1000", 250, "2.1.0")
    wire.expect("RSET", 250, "2.0.0")
    wire.expect(f"MAIL FROM:<{SENDER}> SIZE=2048", 250, "2.1.0")
    wire.expect("RSET", 250, "2.0.0")
    wire.expect(f"MAIL FROM:<{SENDER}> SIZE=2049", 552, "5.3.4")
    # Past 64 bits: too big (552 5.3.4) or not a number the server can hold (501 5.5.4), as
    # long as it is not taken modulo 2^64 and accepted.
    huge = wire.cmd(f"MAIL FROM:<{SENDER}> SIZE=99999999999999999999999")
    if huge.code == 501:
        wire.check(huge, 501, "5.5.4", where="to a SIZE past 64 bits")
    else:
        wire.check(huge, 552, "5.3.4", where="to a SIZE past 64 bits")
    wire.quit()
    assert node.spool_count() == 0


@pytest.mark.pw_config(smtp={"max_message_size": 2048})
def test_message_bigger_than_the_limit_is_refused_after_data(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    big = message("big", body="\n".join("z" * 70 for _ in range(150)))
    assert len(big) > 10000
    wire.send(big + b".\r\n")
    wire.check(wire.read_reply(), 552, "5.3.4", where="after a 10 KB message")
    wire.assert_silent()
    # A message under the limit on the same session still goes through.
    queue_id = wire.submit(SENDER, [RECIPIENT], message("small")).queue_id()
    wire.quit()
    assert node.spool_ids() == [queue_id]


@pytest.mark.pw_config(smtp={"max_message_size": 2048})
def test_size_parameter_lying_low_does_not_bypass_the_limit(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}> SIZE=100", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    reply = wire.data(message("liar", body="\n".join("q" * 70 for _ in range(60))))
    wire.check(reply, 552, "5.3.4")
    wire.quit()
    assert node.spool_count() == 0


# --- NUL octets --------------------------------------------------------------------------------
def test_nul_in_a_command_is_refused(node):
    wire = ip_session(node)
    wire.expect(b"NOOP\0", 500, "5.5.2")
    wire.expect(b"MAIL FROM:<news\0evil@example.com>", 500, "5.5.2")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.quit()
    assert node.spool_count() == 0


def test_nul_in_data_is_refused(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    reply = wire.data(b"Subject: nul\r\n\r\nbefore\0after\r\n")
    wire.check(reply, 550, "5.6.0", where="for data with a NUL")
    wire.assert_silent()
    wire.quit()
    assert node.spool_count() == 0


# --- time-outs ---------------------------------------------------------------------------------
@pytest.mark.pw_config(smtp={"idle_timeout_s": 2})
@pytest.mark.parametrize("after", ["greeting", "ehlo"])
def test_idle_client_is_disconnected_with_421(node, after):
    wire = node.session(source=IP_SENDER_ADDR, ehlo=(after == "ehlo"))
    start = time.monotonic()
    reply = wire.read_reply(timeout=8)
    elapsed = time.monotonic() - start
    wire.check(reply, 421, "4.4.2", where="after 2 s of silence")
    assert 1.5 <= elapsed <= 6, f"time-out after {elapsed:.2f} s, configured 2 s"
    wire.assert_closed()


@pytest.mark.pw_config(smtp={"idle_timeout_s": 2})
def test_activity_keeps_a_session_open(node):
    wire = ip_session(node)
    for _ in range(4):
        time.sleep(1)
        wire.expect("NOOP", 250, "2.0.0")
    wire.quit()


@pytest.mark.pw_config(smtp={"data_timeout_s": 2})
def test_silent_client_in_data_is_disconnected_and_nothing_spooled(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("DATA", 354)
    wire.send(b"Subject: stalled\r\n\r\nhalf a mess")
    reply = wire.read_reply(timeout=8)
    wire.check(reply, 421, "4.4.2", where="after 2 s of silence in DATA")
    wire.assert_closed()
    assert node.spool_count() == 0


# --- errors ------------------------------------------------------------------------------------
@pytest.mark.pw_config(smtp={"max_errors": 3})
def test_too_many_errors_close_the_session_with_421(node):
    wire = ip_session(node)
    for i in range(1, 3):
        reply = wire.cmd("BOGUS")
        if not 500 <= reply.code <= 599:
            wire.fail(f"error #{i}: expected a 5xx reply, got {reply}")
    # The third error reaches the limit: 421 4.7.0, either instead of its 5xx or right after it.
    reply = wire.cmd("BOGUS")
    if 500 <= reply.code <= 599:
        reply = wire.read_reply(timeout=3)
    wire.check(reply, 421, "4.7.0", where="after the third error")
    wire.assert_closed()


# --- pipelining --------------------------------------------------------------------------------
def test_pipelined_transaction_gets_replies_in_order(node):
    wire = ip_session(node)
    sent = message("pipelined", sender=SENDER)
    wire.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{RECIPIENT}>\r\nRCPT TO:<c@example.net>\r\n"
              "DATA\r\n".encode())
    wire.check(wire.read_reply(), 250, "2.1.0")
    wire.check(wire.read_reply(), 250, "2.1.5")
    wire.check(wire.read_reply(), 250, "2.1.5")
    wire.check(wire.read_reply(), 354)
    wire.send(sent + b".\r\nQUIT\r\n")
    queue_id = wire.read_reply().queue_id()
    wire.check(wire.read_reply(), 221, "2.0.0")
    wire.assert_closed()
    spooled = node.spooled(queue_id)
    assert spooled.envelope["rcpt_to"] == [RECIPIENT, "c@example.net"]
    assert spooled.raw.endswith(sent)


def test_rset_ends_the_transaction(node):
    wire = ip_session(node)
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
    wire.expect("RSET", 250, "2.0.0")
    wire.expect("DATA", 503, "5.5.1")
    wire.expect(f"RCPT TO:<{RECIPIENT}>", 503, "5.5.1")
    wire.expect(f"MAIL FROM:<{SENDER}>", 250, "2.1.0")
    wire.expect(f"MAIL FROM:<{SENDER}>", 503, "5.5.1")
    wire.quit()
    assert node.spool_count() == 0


def test_mail_before_ehlo_is_a_bad_sequence(node):
    wire = node.session(source=IP_SENDER_ADDR, ehlo=False)
    wire.expect(f"MAIL FROM:<{SENDER}>", 503, "5.5.1")
    wire.expect("HELO client.e2e.test", 250)
    queue_id = wire.submit(SENDER, [RECIPIENT], message("after helo")).queue_id()
    wire.quit()
    assert node.spooled(queue_id).envelope["helo"] == "client.e2e.test"

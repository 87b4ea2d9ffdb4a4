#!/usr/bin/python3
"""A remote SMTP server for tests (aiosmtpd): receives what postwarden delivers, or misbehaves.
Listens on loopback only; prints "ready HOST:PORT" on stdout once listening (--listen with
port 0 picks a free port). Every accepted message becomes OUT/<n>.eml (the exact octets after
dot-unstuffing) and then OUT/<n>.json (the envelope); OUT/commands.log has every command line
received, as "<client port> <line>". Used by the C++ unit tests and by the pytest e2e suite.
Trust: everything the SMTP client sends (it is the system under test).
"""
import argparse
import asyncio
import ipaddress
import json
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile

from aiosmtpd.smtp import SMTP

MODES = {
    "accept": "accept every message",
    "tempfail-rcpt": "451 4.2.0 to every RCPT",
    "reject-rcpt": "550 5.1.1 to every RCPT",
    "reject-data": "554 5.6.0 after the message data",
    "tempfail-data": "451 4.3.0 after the message data",
    "slow": "every reply, the greeting included, waits --delay seconds",
    "slow-data": "the reply after the message data waits --delay seconds",
    "drop-mid-data": "after 354, read a little of the data, then close the connection",
    "reject-greeting": "greet with 554 5.3.2 (no SMTP service here)",
    "no-ehlo": "answer EHLO with 502 5.5.1, so the client must fall back to HELO",
    "broken-tls": "offer STARTTLS, answer 220, then send plain text instead of TLS",
    "endless-reply": "answer EHLO with --lines lines",
    "long-reply-line": "answer EHLO with a 10000-octet first line",
}

EPILOG = "modes:\n" + "\n".join(f"  {name:16} {text}" for name, text in MODES.items()) + """

In every mode a recipient whose local part starts with "reject" gets 550 5.1.1 and one whose
local part starts with "tempfail" gets 451 4.2.1, so one transaction can mix outcomes.
The envelope JSON: mail_from, rcpt_tos, mail_options, rcpt_options, smtputf8, helo, tls
(protocol version or null), pipelined (more commands were already buffered when MAIL was
handled: the client pipelined), connection (number of the connection, from 1).
"""


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    address = ipaddress.ip_address(host)
    if not address.is_loopback:
        raise argparse.ArgumentTypeError("test peers listen on loopback only")
    return host, int(port)


def make_certificate(directory):
    """A throw-away self-signed P-256 certificate for localhost."""
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


class Receiver:
    """aiosmtpd handler: decides replies and writes accepted messages."""

    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        mode = self.args.mode
        if mode == "no-ehlo":
            return ["502 5.5.1 EHLO not implemented"]
        if mode == "endless-reply":
            return [f"250-line {i}" for i in range(self.args.lines)] + ["250 HELP"]
        if mode == "long-reply-line":
            return ["250-" + "x" * 10000] + responses[1:]
        extra = []
        if not self.args.no_pipelining:
            extra.append("250-PIPELINING")
        if not self.args.no_enhanced:
            extra.append("250-ENHANCEDSTATUSCODES")
        if self.args.no_8bitmime:
            responses = [r for r in responses if r != "250-8BITMIME"]
        return responses[:-1] + extra + responses[-1:]

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        # Commands already buffered behind MAIL mean the client sent them without waiting for
        # this reply (RFC 2920). aiosmtpd has no public accessor for its input buffer.
        envelope.pipelined = len(server._reader._buffer) > 0
        return "250 2.1.0 Ok"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.rpartition("@")[0].lower()
        if self.args.mode == "reject-rcpt" or local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if self.args.mode == "tempfail-rcpt" or local.startswith("tempfail"):
            return "451 4.2.1 <%s>: Recipient temporarily unavailable" % address
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        mode = self.args.mode
        if mode == "slow-data":
            await asyncio.sleep(self.args.delay)
        if mode == "reject-data":
            return "554 5.6.0 Message rejected"
        if mode == "tempfail-data":
            return "451 4.3.0 Try again later"
        self.count += 1
        base = os.path.join(self.args.out, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content)
        ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
            "smtputf8": bool(envelope.smtp_utf8),
            "helo": session.host_name,
            "tls": ssl_object.version() if ssl_object else None,
            "pipelined": getattr(envelope, "pipelined", False),
            "connection": server.connection_number,
        }
        with open(base + ".json.tmp", "w") as f:
            json.dump(meta, f)
        os.rename(base + ".json.tmp", base + ".json")  # readers see complete files only
        return f"250 2.0.0 Ok: queued as {self.count}"


class ReceiverSMTP(SMTP):
    """The protocol, for the modes that misbehave below the handler hooks."""

    connections = 0

    def __init__(self, handler, args, **kwargs):
        super().__init__(handler, **kwargs)
        self.args = args
        ReceiverSMTP.connections += 1
        self.connection_number = ReceiverSMTP.connections
        self.greeted = False

    async def push(self, status):
        if not self.greeted:
            self.greeted = True
            if self.args.mode == "reject-greeting":
                status = "554 5.3.2 peer.test no SMTP service here"
        if self.args.mode == "slow":
            await asyncio.sleep(self.args.delay)
        await super().push(status)

    async def smtp_STARTTLS(self, arg):
        if self.args.mode != "broken-tls":
            return await super().smtp_STARTTLS(arg)
        await self.push("220 2.0.0 Ready to start TLS")
        self.transport.write(b"this is not a TLS handshake\r\n")
        self._handler_coroutine.cancel()
        self.transport.close()

    async def smtp_DATA(self, arg):
        if self.args.mode != "drop-mid-data" or not self.envelope.rcpt_tos:
            return await super().smtp_DATA(arg)
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.read(1024)
        self._handler_coroutine.cancel()
        self.transport.close()


class CommandLog(logging.Handler):
    """Writes aiosmtpd's '%r >> %r' command records to OUT/commands.log."""

    def __init__(self, path):
        super().__init__()
        self.file = open(path, "a", buffering=1)

    def emit(self, record):
        if record.msg == "%r >> %r" and len(record.args) == 2:
            peer, line = record.args
            port = peer[1] if isinstance(peer, tuple) and len(peer) > 1 else peer
            self.file.write(f"{port} {line.decode('utf-8', 'replace')}\n")


async def serve(args):
    certificate_dir = None
    tls_context = None
    if args.tls or args.mode == "broken-tls":
        certificate_dir = tempfile.mkdtemp(prefix="smtp-receiver-")
        tls_context = make_certificate(certificate_dir)
    handler = Receiver(args)
    loop = asyncio.get_running_loop()

    def factory():
        return ReceiverSMTP(
            handler, args, hostname="peer.test", ident="smtp_receiver",
            data_size_limit=args.size, enable_SMTPUTF8=not args.no_smtputf8,
            tls_context=tls_context, require_starttls=args.require_tls, loop=loop)

    host, port = args.listen
    server = await loop.create_server(factory, host=host, port=port)
    bound = server.sockets[0].getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    print(f"ready {shown}:{bound[1]}", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        server.close()
        if certificate_dir:
            shutil.rmtree(certificate_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", type=parse_listen, required=True,
                        help="HOST:PORT on loopback; port 0 picks a free one")
    parser.add_argument("--out", required=True, help="directory for messages and commands.log")
    parser.add_argument("--mode", choices=sorted(MODES), default="accept")
    parser.add_argument("--delay", type=float, default=1.0, help="seconds, for slow modes")
    parser.add_argument("--lines", type=int, default=1000, help="EHLO lines for endless-reply")
    parser.add_argument("--tls", action="store_true",
                        help="offer STARTTLS with a fresh self-signed certificate")
    parser.add_argument("--require-tls", action="store_true",
                        help="refuse mail commands before STARTTLS (530)")
    parser.add_argument("--size", type=int, default=33554432, help="SIZE limit; 0: none")
    parser.add_argument("--no-pipelining", action="store_true")
    parser.add_argument("--no-enhanced", action="store_true",
                        help="do not announce ENHANCEDSTATUSCODES")
    parser.add_argument("--no-8bitmime", action="store_true")
    parser.add_argument("--no-smtputf8", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    log = logging.getLogger("mail.log")
    log.setLevel(logging.INFO)
    log.addHandler(CommandLog(os.path.join(args.out, "commands.log")))
    log.propagate = False
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A hostile DNS server for the tests (issue 15, item 16): it answers on UDP and TCP on one
loopback port, as an attacker's name server would, and logs every query to a file.

    loop.hostile.test       MX: the exchange name is a compression pointer to itself
    many.hostile.test       MX: 1,000 records mx1..mx1000.many.hostile.test (preference = N),
                            too big for UDP: the reply is truncated (TC) and asked again on TCP;
                            every mxN.many.hostile.test has A 127.0.0.11
    self.hostile.test       MX 10 mx.self.hostile.test, A 127.0.0.1
    private.hostile.test    MX 10 mx.private.hostile.test, A 10.255.255.1
    2.0.0.127.bl.hostile.test  A 127.0.0.2, TXT of 60,000 octets (one record)
    3.0.0.127.bl.hostile.test  A 127.0.0.2, TXT of 3,000 octets
    sender.test             MX 10 mx.sender.test, A 127.0.0.20 (where DSNs go)
    anything else           NXDOMAIN

Usage: hostile_dns.py PORT QUERY_LOG   (prints "ready" when it listens)
"""
import socket
import socketserver
import struct
import sys
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

UDP_LIMIT = 512  # c-ares asks without EDNS: a longer reply is truncated and asked on TCP
MANY = 1000
LOG_LOCK = threading.Lock()


def txt_rrset(name: str, octets: int) -> dns.rrset.RRset:
    text = "x" * octets
    chunks = " ".join('"' + text[i:i + 255] + '"' for i in range(0, octets, 255))
    return dns.rrset.from_text(name, 60, "IN", "TXT", chunks)


def records(name: str, qtype: int) -> list[dns.rrset.RRset] | None:
    """The answer for (name, type); [] for no data, None for NXDOMAIN."""
    A, MX, TXT = dns.rdatatype.A, dns.rdatatype.MX, dns.rdatatype.TXT
    fixed = {
        "self.hostile.test.": {MX: ["10 mx.self.hostile.test."]},
        "mx.self.hostile.test.": {A: ["127.0.0.1"]},
        "private.hostile.test.": {MX: ["10 mx.private.hostile.test."]},
        "mx.private.hostile.test.": {A: ["10.255.255.1"]},
        "sender.test.": {MX: ["10 mx.sender.test."]},
        "mx.sender.test.": {A: ["127.0.0.20"]},
        "2.0.0.127.bl.hostile.test.": {A: ["127.0.0.2"]},
        "3.0.0.127.bl.hostile.test.": {A: ["127.0.0.2"]},
        "loop.hostile.test.": {},
        "many.hostile.test.": {},
    }
    if name == "many.hostile.test." and qtype == MX:
        return [dns.rrset.from_text(name, 60, "IN", "MX",
                                    *(f"{n} mx{n}.many.hostile.test." for n in range(1, MANY + 1)))]
    if name.startswith("mx") and name.endswith(".many.hostile.test."):
        return [dns.rrset.from_text(name, 60, "IN", "A", "127.0.0.11")] if qtype == A else []
    if name == "2.0.0.127.bl.hostile.test." and qtype == TXT:
        return [txt_rrset(name, 60000)]
    if name == "3.0.0.127.bl.hostile.test." and qtype == TXT:
        return [txt_rrset(name, 3000)]
    if name not in fixed:
        return None
    texts = fixed[name].get(qtype, [])
    if not texts:
        return []
    return [dns.rrset.from_text(name, 60, "IN", dns.rdatatype.to_text(qtype), *texts)]


def compression_loop(query: dns.message.Message, wire: bytes) -> bytes:
    """A reply whose MX exchange is a pointer to itself (RFC 1035 4.1.4 forbids nothing here)."""
    question_end = 12
    while wire[question_end] != 0:
        question_end += wire[question_end] + 1
    question = wire[12:question_end + 1 + 4]
    header = struct.pack(">HHHHHH", query.id, 0x8180, 1, 1, 0, 0)
    at = len(header) + len(question) + 12 + 2  # where the exchange name sits
    answer = struct.pack(">HHHIHH", 0xC00C, 15, 1, 60, 4, 10) + struct.pack(">H", 0xC000 | at)
    return header + question + answer


def reply_for(wire: bytes, proto: str, log_path: str) -> bytes | None:
    try:
        query = dns.message.from_wire(wire)
    except Exception:
        return None
    if not query.question:
        return None
    q = query.question[0]
    name = q.name.to_text().lower()
    with LOG_LOCK, open(log_path, "a") as log:
        log.write(f"{name} {dns.rdatatype.to_text(q.rdtype)} {proto}\n")
    if name == "loop.hostile.test." and q.rdtype == dns.rdatatype.MX:
        return compression_loop(query, wire)
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    answer = records(name, q.rdtype)
    if answer is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
    else:
        response.answer.extend(answer)
    out = response.to_wire()
    if proto == "udp" and len(out) > UDP_LIMIT:
        truncated = dns.message.make_response(query)
        truncated.flags |= dns.flags.TC | dns.flags.AA
        return truncated.to_wire()
    return out


class Udp(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        out = reply_for(data, "udp", self.server.log_path)
        if out is not None:
            sock.sendto(out, self.client_address)


class Tcp(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(5)
        try:
            while True:
                head = self.request.recv(2)
                if len(head) < 2:
                    return
                (length,) = struct.unpack(">H", head)
                data = b""
                while len(data) < length:
                    chunk = self.request.recv(length - len(data))
                    if not chunk:
                        return
                    data += chunk
                out = reply_for(data, "tcp", self.server.log_path)
                if out is None:
                    return
                self.request.sendall(struct.pack(">H", len(out)) + out)
        except OSError:
            return


class UdpServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


class TcpServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main() -> None:
    port, log_path = int(sys.argv[1]), sys.argv[2]
    udp = UdpServer(("127.0.0.1", port), Udp)
    tcp = TcpServer(("127.0.0.1", port), Tcp)
    for server in (udp, tcp):
        server.log_path = log_path
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()

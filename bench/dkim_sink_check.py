#!/usr/bin/python3
"""Proof for bench/relay.sh (BENCH_DKIM) that the relay really signed: every message that
smtp-sink dumped carries one DKIM-Signature with the expected d=, s= and a=, and a sample of them
verifies with dkimpy (not our code) against the TXT record the signer published -- given here
directly, the benchmark has no DNS.

Usage: dkim_sink_check.py DUMP_DIR EXPECTED_COUNT DOMAIN SELECTOR ALGORITHM RECORD [SAMPLE]
Prints one line (count signed, sample verified); exits 1 with the reason otherwise.
"""
import pathlib
import random
import re
import sys

import dkim
import dkim.util


def message_of(dump: bytes) -> bytes:
    """smtp-sink's dump: its X-* envelope lines, then the message with LF line ends. Returns the
    message with CRLF line ends, as it was on the wire."""
    lines = dump.split(b"\n")
    start = 0
    while start < len(lines) and re.match(rb"X-(Client-Addr|Client-Proto|Helo-Args|Mail-Args|"
                                          rb"Rcpt-Args|Client-Name|Client-Port):", lines[start]):
        start += 1
    return b"\r\n".join(lines[start:])


def signatures(message: bytes) -> list[dict]:
    head = message.split(b"\r\n\r\n", 1)[0]
    out = []
    for field in re.split(rb"\r\n(?![ \t])", head):
        name, sep, value = field.partition(b":")
        if sep and name.strip().lower() == b"dkim-signature":
            tags = dkim.util.parse_tag_value(re.sub(rb"\s+", b"", value))
            out.append({k.decode(): v.decode() for k, v in tags.items()})
    return out


def main() -> int:
    if len(sys.argv) not in (7, 8):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    directory, count, domain, selector, algorithm, record = sys.argv[1:7]
    sample_size = int(sys.argv[7]) if len(sys.argv) == 8 else 20
    expected_a = {"rsa": "rsa-sha256", "ed25519": "ed25519-sha256"}[algorithm]
    dumps = sorted(pathlib.Path(directory).glob("msg.*"))
    if len(dumps) != int(count):
        print(f"{len(dumps)} messages dumped by the sink, expected {count}", file=sys.stderr)
        return 1
    for path in dumps:
        sigs = signatures(message_of(path.read_bytes()))
        if len(sigs) != 1:
            print(f"{path.name}: {len(sigs)} DKIM-Signature fields, expected 1", file=sys.stderr)
            return 1
        sig = sigs[0]
        got = (sig.get("d"), sig.get("s"), sig.get("a"))
        if got != (domain, selector, expected_a):
            print(f"{path.name}: d=/s=/a= are {got}, expected {(domain, selector, expected_a)}",
                  file=sys.stderr)
            return 1

    def dnsfunc(name, timeout=5):
        wanted = f"{selector}._domainkey.{domain}"
        return record.encode() if name.decode().rstrip(".") == wanted else None

    sample = random.Random(len(dumps)).sample(dumps, min(sample_size, len(dumps)))
    for path in sample:
        if not dkim.verify(message_of(path.read_bytes()), dnsfunc=dnsfunc):
            print(f"{path.name}: the signature does not verify with dkimpy", file=sys.stderr)
            return 1
    print(f"{len(dumps)} messages signed (d={domain} s={selector} a={expected_a}), "
          f"{len(sample)} verified with dkimpy")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Idle sessions against a running gateway (bench/idle.sh): opens PLAIN sessions that stop after
the greeting, then TLS sessions that stop after STARTTLS and a second EHLO, measuring the
gateway's resident memory (VmRSS of its pid) before and after each group; then, with all of them
still open, times one real client sending one message with smtplib. Prints one 'key: value' line
per figure. Bounded: every connection attempt and reply has a time-out, and the count is given.

Usage: idle_client.py PORT GATEWAY_PID PLAIN TLS
"""
import asyncio
import resource
import smtplib
import ssl
import sys
import time

CONNECT_AT_ONCE = 200      # sessions being opened at one time
REPLY_TIMEOUT_S = 30       # for each reply and handshake
SETTLE_S = 2               # after the last session opens, before RSS is read


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def descriptors(pid: int) -> int:
    import os
    return len(os.listdir(f"/proc/{pid}/fd"))


async def reply(reader) -> bytes:
    """One whole SMTP reply (its last line has a space after the code)."""
    while True:
        line = await asyncio.wait_for(reader.readline(), REPLY_TIMEOUT_S)
        if not line:
            raise ConnectionError("closed by the gateway")
        if len(line) < 4 or line[3:4] != b"-":
            return line


async def open_session(port: int, tls: ssl.SSLContext | None, held: list, limit) -> None:
    async with limit:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), REPLY_TIMEOUT_S)
        await reply(reader)
        if tls is not None:
            writer.write(b"EHLO idle.example\r\n")
            await reply(reader)
            writer.write(b"STARTTLS\r\n")
            if not (await reply(reader)).startswith(b"220"):
                raise ConnectionError("STARTTLS refused")
            await asyncio.wait_for(writer.start_tls(tls), REPLY_TIMEOUT_S)
            writer.write(b"EHLO idle.example\r\n")
            await reply(reader)
        held.append(writer)


async def open_group(port: int, count: int, tls, held: list) -> float:
    limit = asyncio.Semaphore(CONNECT_AT_ONCE)
    started = time.monotonic()
    await asyncio.gather(*(open_session(port, tls, held, limit) for _ in range(count)))
    return time.monotonic() - started


def real_client_ms(port: int) -> float:
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.sendmail("sender@example.com", ["rcpt@example.net"],
                        b"Subject: served while idle sessions are open\r\n\r\nHello.\r\n")
    return (time.monotonic() - started) * 1000


async def main() -> None:
    port, pid, plain, tls_count = (int(arg) for arg in sys.argv[1:5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    held: list = []
    base = rss_kib(pid)
    print(f"rss_idle_gateway_kib: {base}")
    seconds = await open_group(port, plain, None, held)
    await asyncio.sleep(SETTLE_S)
    after_plain = rss_kib(pid)
    print(f"plain_sessions: {plain} opened in {seconds:.1f} s")
    print(f"rss_after_plain_kib: {after_plain}")
    seconds = await open_group(port, tls_count, context, held)
    await asyncio.sleep(SETTLE_S)
    after_tls = rss_kib(pid)
    print(f"tls_sessions: {tls_count} opened in {seconds:.1f} s")
    print(f"rss_after_tls_kib: {after_tls}")
    print(f"gateway_descriptors: {descriptors(pid)}")
    served = await asyncio.to_thread(real_client_ms, port)
    print(f"real_client_ms: {served:.0f}")
    if plain:
        print(f"per_plain_session_kib: {(after_plain - base) / plain:.1f}")
    if tls_count:
        print(f"per_tls_session_kib: {(after_tls - after_plain) / tls_count:.1f}")
    total = plain + tls_count
    print(f"sessions: {total}, rss_added_mib: {(after_tls - base) / 1024:.0f}, "
          f"rss_total_mib: {after_tls / 1024:.0f}")
    for writer in held:
        writer.close()


if __name__ == "__main__":
    asyncio.run(main())

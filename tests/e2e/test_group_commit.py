"""Group commit (issue 17, item 1): messages that finish DATA together share one data sync and one
directory sync, and each client still hears its 250 only after its own message is durable.

A kill -9 cannot show a missing sync (the page cache survives it), so the order is read from the
system calls themselves: strace follows the gateway while 12 clients end DATA at the same moment,
and for every message the trace must show, in this order,
  1. its temporary file written (spool/tmp/ID, or a spare file made ahead, spool/tmp/spare-N),
  2. its data synced: a syncfs(2) of the file system (group_commit_sync = "filesystem") or an
     fdatasync(2) of its file ("file"), begun after that write ended,
  3. its rename into spool/incoming, begun after that sync ended,
  4. an fsync(2) of spool/incoming, begun after the rename ended,
  5. the "250 ... queued as ID" reply, sent after that fsync ended,
and fewer syncs than messages (they were shared).
"""
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from conftest import DOMAIN, IP_SENDER_ADDR, RECIPIENT, wait_until
from smtp_wire import SmtpWire

CLIENTS = 12
TRACED = "openat,write,writev,fdatasync,fsync,syncfs,rename,renameat,renameat2,sendto,sendmsg"

# "PID name(args) = result", possibly split into "<unfinished ...>" and "<... name resumed>".
CALL = re.compile(r"^(\d+) +(\w+)\((.*)$")
RESUMED = re.compile(r"^(\d+) +<\.\.\. (\w+) resumed>(.*)$")
FD_PATH = re.compile(r"^\d+<([^>]*)>")


class Call:
    def __init__(self, pid: str, name: str, args: str, start: int):
        self.pid, self.name, self.args, self.start, self.end = pid, name, args, start, None

    def fd_path(self) -> str:
        match = FD_PATH.match(self.args)
        return match.group(1) if match else ""


def parse_trace(text: str) -> list[Call]:
    """Every call with the line it began on and the line it ended on."""
    calls, open_calls = [], {}
    for index, line in enumerate(text.splitlines()):
        resumed = RESUMED.match(line)
        if resumed:
            call = open_calls.pop((resumed.group(1), resumed.group(2)), None)
            if call is not None:
                call.args += resumed.group(3)
                call.end = index
            continue
        match = CALL.match(line)
        if not match:
            continue
        call = Call(match.group(1), match.group(2), match.group(3), index)
        calls.append(call)
        if line.rstrip().endswith("<unfinished ...>"):
            open_calls[(call.pid, call.name)] = call
        else:
            call.end = index
    return [call for call in calls if call.end is not None and not call.args.endswith("= -1")]


def send_together(port: int) -> list[str]:
    """CLIENTS sessions that send ".", all at once; returns the queue ids."""
    wires = []
    for _ in range(CLIENTS):
        wire = SmtpWire(port, source=IP_SENDER_ADDR)
        wire.check(wire.greeting(), 220, where="as greeting")
        wire.ehlo()
        wire.expect(f"MAIL FROM:<sender@{DOMAIN}>", 250, "2.1.0")
        wire.expect(f"RCPT TO:<{RECIPIENT}>", 250, "2.1.5")
        wire.expect("DATA", 354)
        wire.send(b"From: sender@example.com\r\nTo: bob@example.net\r\nSubject: invoice\r\n\r\n"
                  b"Please find the invoice for November attached.\r\n")
        wires.append(wire)
    ids, barrier = [None] * CLIENTS, threading.Barrier(CLIENTS)

    def finish(i: int) -> None:
        barrier.wait()
        wires[i].send(b".\r\n")
        reply = wires[i].read_reply(timeout=30)
        wires[i].check(reply, 250, "2.0.0", where="after the data")
        ids[i] = reply.queue_id()
        wires[i].quit()

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(ids), f"not every client heard its 250: {ids}"
    return ids


def traced(node, tmp_path) -> tuple[list[str], list[Call]]:
    out = tmp_path / "strace.out"
    tracer = subprocess.Popen(["strace", "-f", "-y", "-s", "200", "-e", f"trace={TRACED}",
                               "-o", str(out), "-p", str(node.proc.pid)],
                              stderr=subprocess.PIPE, text=True)
    try:
        # strace says "attached" once per thread; the gateway has more than two.
        wait_until(lambda: out.exists(), timeout=10)
        time.sleep(1.0)
        ids = send_together(node.port)
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
    return ids, parse_trace(out.read_text())


def assert_durable_before_250(queue_id: str, calls: list[Call], data_sync: str) -> None:
    def first(predicate, after: int, what: str) -> Call:
        for call in calls:
            if call.start > after and predicate(call):
                return call
        raise AssertionError(f"{queue_id}: no {what} after trace line {after}")

    renames = [c for c in calls if c.name.startswith("rename")
               and f'/spool/incoming/{queue_id}"' in c.args]
    assert len(renames) == 1, f"{queue_id}: {len(renames)} renames into spool/incoming"
    rename = renames[0]
    # Its temporary name: spool/tmp/ID, or a spare file made ahead of need (spool/tmp/spare-N).
    tmp = re.search(r'"([^"]*/spool/tmp/[^"]+)"', rename.args).group(1)
    writes = [c for c in calls if c.name in ("write", "writev") and c.fd_path() == tmp]
    assert writes, f"{queue_id}: its temporary file {tmp} was never written"
    written = max(c.end for c in writes)
    assert written < rename.start, f"{queue_id}: written after its rename"
    if data_sync == "filesystem":
        synced = [c for c in calls if c.name == "syncfs" and written < c.start and c.end < rename.start]
    else:
        synced = [c for c in calls if c.name == "fdatasync" and c.fd_path() == tmp
                  and written < c.start and c.end < rename.start]
    assert synced, f"{queue_id}: no data sync between its write and its rename"
    dir_sync = first(lambda c: c.name == "fsync" and c.fd_path().endswith("/spool/incoming"),
                     rename.end, "fsync of spool/incoming")
    reply = first(lambda c: c.name in ("sendto", "sendmsg") and f"queued as {queue_id}" in c.args,
                  -1, "250 reply")
    assert dir_sync.end < reply.start, (
        f"{queue_id}: 250 sent (trace line {reply.start}) before spool/incoming was synced "
        f"(line {dir_sync.end})")


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed (scripts/setup.sh)")
@pytest.mark.parametrize("data_sync", ["filesystem", "file"])
def test_each_250_follows_its_own_synced_write_rename_and_directory_sync(make_node, tmp_path,
                                                                          data_sync):
    node = make_node({"spool": {"group_commit_sync": data_sync, "group_commit_wait_us": 50000},
                      "server": {"max_sessions_per_ip": 50}})
    node.provision()
    node.start()
    ids, calls = traced(node, tmp_path)
    for queue_id in ids:
        assert_durable_before_250(queue_id, calls, data_sync)
        assert node.spooled(queue_id).envelope["id"] == queue_id
    dir_syncs = [c for c in calls if c.name == "fsync" and c.fd_path().endswith("/spool/incoming")]
    assert len(dir_syncs) < CLIENTS, f"{len(dir_syncs)} directory syncs for {CLIENTS} messages"
    if data_sync == "filesystem":
        assert len([c for c in calls if c.name == "syncfs"]) < CLIENTS

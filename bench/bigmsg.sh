#!/usr/bin/env bash
# Large messages (issue 17, item 4): the gateway's peak resident memory while it accepts
# BENCH_PARALLEL messages of BENCH_MB megabytes at once (default 4 x 24 MB), over its idle RSS.
# Usage: bench/bigmsg.sh
# Knobs: BENCH_PARALLEL (4), BENCH_MB (24), PW_BINARY (<repo>/build/postwarden), BENCH_KEEP=1
#        keeps the work dir. Default checks, no spam model, no DKIM key, delivery held.
# Prints: idle RSS, peak RSS (VmHWM, reset with /proc/PID/clear_refs just before the load),
# the peak added, and each message's reply and time.
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly PARALLEL="${BENCH_PARALLEL:-4}"
readonly MB="${BENCH_MB:-24}"

log() { echo "bigmsg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

for knob in PARALLEL MB; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
source "$REPO/bench/lib_gateway.sh"
bench_gateway_start bigmsg "[delivery]
enabled = false"
sleep 1
timeout 900 /usr/bin/python3 - "$PORT" "$PW_PID" "$PARALLEL" "$MB" <<'PY'
import concurrent.futures, smtplib, sys, time

port, pid, parallel, mb = (int(a) for a in sys.argv[1:5])

def status(key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(key)

def message(n):
    # Base64-like lines of 76 characters, as an attachment would be sent.
    line = (b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0" + b"\r\n")
    body = line * (mb * 1000 * 1000 // len(line))
    head = (f"From: sender{n}@example.com\r\nTo: rcpt@example.net\r\nSubject: big {n}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n").encode()
    return head + body

def send(n, data):
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=300) as client:
        client.ehlo("big.example")
        code, reply = client.docmd("MAIL FROM:<sender%d@example.com> SIZE=%d" % (n, len(data)))
        if code != 250:
            return n, code, reply.decode(errors="replace"), time.monotonic() - started
        client.rcpt("rcpt@example.net")
        code, reply = client.data(data)
    return n, code, reply.decode(errors="replace"), time.monotonic() - started

messages = [message(n) for n in range(parallel)]
idle = status("VmRSS")
with open(f"/proc/{pid}/clear_refs", "w") as f:
    f.write("5")  # resets VmHWM to the current RSS
with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
    results = list(pool.map(lambda n: send(n, messages[n]), range(parallel)))
peak = status("VmHWM")
for n, code, reply, seconds in results:
    print(f"message {n}: {len(messages[n])} octets: {code} {reply[:60]} in {seconds:.1f} s")
print(f"rss_idle_kib: {idle}")
print(f"rss_peak_kib: {peak}")
print(f"peak_added_mib: {(peak - idle) / 1024:.0f} for {parallel} x {mb} MB")
PY

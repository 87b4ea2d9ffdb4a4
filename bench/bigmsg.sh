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
[[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"

WORK="$(mktemp -d /tmp/pw-bench-bigmsg.XXXXXX)"
PW_PID=""
cleanup() {
  if [[ -n "$PW_PID" ]] && kill -0 "$PW_PID" 2>/dev/null; then
    kill -TERM "$PW_PID" 2>/dev/null || true
    wait "$PW_PID" 2>/dev/null || true
  fi
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then log "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

port="$(/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
cat >"$WORK/postwarden.toml" <<EOT
[delivery]
enabled = false
EOT
data="$WORK/data"
mkdir -p "$data"
pw() { "$PW_BINARY" --data-dir "$data" --config "$WORK/postwarden.toml" "$@" >/dev/null; }
pw domain add example.com
pw user add --ip 127.0.0.1/32 --owner example.com
"$PW_BINARY" serve --data-dir "$data" --config "$WORK/postwarden.toml" \
  --listen "127.0.0.1:$port" 2>"$WORK/postwarden.log" &
PW_PID=$!
for ((i = 0; i < 200; i++)); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$PW_PID" 2>/dev/null || { tail -n 20 "$WORK/postwarden.log" >&2; die "postwarden exited"; }
  sleep 0.1
done
sleep 1
timeout 900 /usr/bin/python3 - "$port" "$PW_PID" "$PARALLEL" "$MB" <<'PY'
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

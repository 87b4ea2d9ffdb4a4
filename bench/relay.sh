#!/usr/bin/env bash
# Relay benchmark: how fast postwarden takes mail over SMTP, queues it durably and delivers it to
# the next hop, against a throwaway Postfix relay on the same machine in the same run (SPEC
# section 6, "Fast"). Both get the same load from smtp-source and relay everything to their own
# fresh smtp-sink; the clock runs from the first connection until the sink has every message.
# Each round also times the same load sent by smtp-source straight to a fresh smtp-sink: the
# ceiling of the sink and the load generator on this machine, that no relay can pass.
# See bench/README.md, section "Relay".
#
# Knobs: BENCH_MESSAGES (20000), BENCH_SESSIONS (20), BENCH_SIZE (4096 octets of body),
#        BENCH_ROUNDS (1; with more, the targets alternate and each one's best round counts),
#        BENCH_TARGETS ("postwarden postfix"), BENCH_TIMEOUT (seconds per run, 900),
#        PW_BINARY (<repo>/build/postwarden), BENCH_KEEP=1 keeps the work dir for inspection,
#        BENCH_DKIM (empty: no signing; rsa or ed25519: both sides DKIM-sign every message --
#        postwarden with a `dkim keygen` key and a selector on its sender's domain, Postfix with
#        Debian's opendkim milter -- and the script proves it from the sink's dumps),
#        BENCH_SINK_DUMP (1 with BENCH_DKIM, else 0: the sink writes every message to a file;
#        set it to 1 without BENCH_DKIM for an unsigned run with the same sink cost),
#        BENCH_PIPELINE (default: postwarden as above, its checks at their defaults, no spam
#        model; full: also the trained spam model, BENCH_SPAM_MODEL (<repo>/build/spam.model,
#        made by scripts/setup.sh), judging every message with holds and locks off for the
#        sender, and ed25519 DKIM on both sides (BENCH_DKIM=ed25519 implied); the script proves
#        from the gateway's decision log that the model judged every message).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly MESSAGES="${BENCH_MESSAGES:-20000}"
readonly SESSIONS="${BENCH_SESSIONS:-20}"
readonly SIZE="${BENCH_SIZE:-4096}"
readonly ROUNDS="${BENCH_ROUNDS:-1}"
readonly TARGETS="${BENCH_TARGETS:-postwarden postfix}"
readonly RUN_TIMEOUT="${BENCH_TIMEOUT:-900}"
readonly PIPELINE="${BENCH_PIPELINE:-default}"
readonly SPAM_MODEL="${BENCH_SPAM_MODEL:-$REPO/build/spam.model}"
[[ "$PIPELINE" == full && -z "${BENCH_DKIM:-}" ]] && BENCH_DKIM=ed25519
readonly DKIM="${BENCH_DKIM:-}"
readonly SINK_DUMP="${BENCH_SINK_DUMP:-$([[ -n "$DKIM" ]] && echo 1 || echo 0)}"
readonly DKIM_DOMAIN="example.com"  # the sender's domain (SENDER), on both sides
readonly DKIM_SELECTOR="bench"
readonly SENDER="sender@example.com"
readonly RECIPIENT="rcpt@example.net"

log() { echo "relay.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

for knob in MESSAGES SESSIONS SIZE ROUNDS RUN_TIMEOUT; do
  [[ "${!knob}" =~ ^[1-9][0-9]*$ ]] || die "$knob must be a positive integer, got '${!knob}'"
done
for target in $TARGETS; do
  [[ "$target" == postwarden || "$target" == postfix ]] || die "unknown target '$target'"
done
[[ -z "$DKIM" || "$DKIM" == rsa || "$DKIM" == ed25519 ]] ||
  die "BENCH_DKIM must be empty, rsa or ed25519, got '$DKIM'"
[[ "$SINK_DUMP" == 0 || "$SINK_DUMP" == 1 ]] || die "BENCH_SINK_DUMP must be 0 or 1"
[[ -z "$DKIM" || "$SINK_DUMP" == 1 ]] || die "BENCH_DKIM needs the sink's dumps (BENCH_SINK_DUMP=1)"
[[ "$PIPELINE" == default || "$PIPELINE" == full ]] ||
  die "BENCH_PIPELINE must be default or full, got '$PIPELINE'"
[[ "$PIPELINE" == default || "$DKIM" == ed25519 ]] ||
  die "BENCH_PIPELINE=full signs with ed25519; unset BENCH_DKIM (it is '$DKIM')"
[[ "$PIPELINE" == default ]] || ((MESSAGES <= 100000)) ||
  die "BENCH_PIPELINE=full proves at most 100000 messages (log decisions --limit)"
# shellcheck source=bench/lib_relay_postfix.sh
source "$REPO/bench/lib_relay_postfix.sh"

WORK="$(mktemp -d /tmp/pw-bench-relay.XXXXXX)"
# Postfix daemons run as the postfix user and must traverse the path to their queue.
chmod 755 "$WORK"
PW_PID=""
SINK_PID=""

stop_pid() {  # stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL
  local pid="$1" seconds="$2" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "process $pid ignored SIGTERM for ${seconds}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  [[ -n "$PW_PID" ]] && stop_pid "$PW_PID" 15
  postfix_cleanup
  [[ -n "$SINK_PID" ]] && stop_pid "$SINK_PID" 5
  if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
    log "work dir kept: $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() {  # wait_for_port PORT PID SECONDS
  local port="$1" pid="$2" seconds="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

now() { date +%s.%N; }
elapsed() { awk -v s="$1" -v e="$2" 'BEGIN { printf "%.3f", e - s }'; }
count_files() { find "$@" -type f 2>/dev/null | wc -l; }

ensure_tools() {
  if [[ ! -x /usr/sbin/postfix || ! -x /usr/sbin/smtp-source || ! -x /usr/sbin/smtp-sink ]]; then
    log "installing postfix (no system-wide configuration)"
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >/dev/null
  fi
  if [[ -n "$DKIM" ]] && ! { [[ -x /usr/sbin/opendkim ]] &&
    /usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null; }; then
    log "installing opendkim and python3-dkim (BENCH_DKIM)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y opendkim python3-dkim python3-nacl >/dev/null
  fi
}

# --- the sink -----------------------------------------------------------------------------------
# A fresh smtp-sink per run: `-c` keeps a running count ("... mesg=N") of the messages it got;
# with BENCH_SINK_DUMP=1, `-d` also writes each one to a file of SINK_DUMP_DIR (it runs as
# nobody, hence the sticky world-writable directory).
start_sink() {  # start_sink NAME: sets SINK_PORT, SINK_LOG, SINK_PID, SINK_DUMP_DIR
  local dump=()
  SINK_PORT="$(free_port)"
  SINK_LOG="$WORK/sink-$1.log"
  SINK_DUMP_DIR="$WORK/sink-$1.dump"
  if ((SINK_DUMP)); then
    rm -rf "$SINK_DUMP_DIR"
    mkdir -m 1777 "$SINK_DUMP_DIR"
    dump=(-d "$SINK_DUMP_DIR/msg.")
  fi
  smtp-sink -u nobody -c "${dump[@]}" "127.0.0.1:$SINK_PORT" 1024 >"$SINK_LOG" 2>&1 &
  SINK_PID=$!
  wait_for_port "$SINK_PORT" "$SINK_PID" 10 || die "smtp-sink did not start on port $SINK_PORT"
}

sink_count() {
  local last
  last="$(tr '\r' '\n' <"$SINK_LOG" | grep -o 'mesg=[0-9]*' | tail -n 1)"
  last="${last#mesg=}"
  echo "${last:-0}"
}

stop_sink() {
  stop_pid "$SINK_PID" 5
  SINK_PID=""
}

# check_signed NAME RECORD: with BENCH_DKIM, every message the sink dumped carries the DKIM
# signature of DKIM_SELECTOR._domainkey.DKIM_DOMAIN and a sample verifies (with dkimpy) against
# RECORD; then the dumps go.
check_signed() {
  local name="$1" dkim_record="$2" result
  if [[ -n "$DKIM" ]]; then
    result="$(/usr/bin/python3 "$REPO/bench/dkim_sink_check.py" "$SINK_DUMP_DIR" "$MESSAGES" \
      "$DKIM_DOMAIN" "$DKIM_SELECTOR" "$DKIM" "$dkim_record")" || die "$name: DKIM signing not proven"
    log "$name: $result"
  elif ((SINK_DUMP)); then
    ! grep -qil '^DKIM-Signature:' -r "$SINK_DUMP_DIR" || die "$name: signed without BENCH_DKIM"
  fi
  rm -rf "$SINK_DUMP_DIR"
}

# run_relay NAME PORT: smtp-source against 127.0.0.1:PORT, then waits for the sink to have every
# message. Sets ACCEPT_S (smtp-source's wall-clock time) and E2E_S (first connection to the last
# message at the sink).
run_relay() {
  local name="$1" port="$2" start accepted end status=0 count i
  log "$name: relaying $MESSAGES messages of $SIZE octets over $SESSIONS sessions"
  start="$(now)"
  timeout "$RUN_TIMEOUT" smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" \
    -f "$SENDER" -t "$RECIPIENT" "127.0.0.1:$port" >"$WORK/$name-smtp-source.log" 2>&1 || status=$?
  accepted="$(now)"
  if ((status != 0)); then
    tail -n 5 "$WORK/$name-smtp-source.log" | tr '\r' '\n' | tail -n 5 >&2
    die "$name: smtp-source exited with status $status"
  fi
  count="$(sink_count)"
  for ((i = 0; count < MESSAGES; i++)); do
    if awk -v s="$start" -v n="$(now)" -v t="$RUN_TIMEOUT" 'BEGIN { exit !(n - s > t) }'; then
      die "$name: only $count of $MESSAGES messages at the sink after $RUN_TIMEOUT s"
    fi
    sleep 0.05
    count="$(sink_count)"
  done
  end="$(now)"
  ((count == MESSAGES)) || die "$name: the sink got $count messages, $MESSAGES were sent"
  ACCEPT_S="$(elapsed "$start" "$accepted")"
  E2E_S="$(elapsed "$start" "$end")"
}

rate() { awk -v n="$MESSAGES" -v t="$1" 'BEGIN { printf "%.0f", n / t }'; }

declare -A BEST_E2E=() BEST_ACCEPT=()
record() {  # record TARGET: keeps each target's fastest end-to-end round (and its accept time)
  local target="$1" best="${BEST_E2E[$1]:-}"
  log "$target: round $ROUND: end-to-end $(rate "$E2E_S") msg/s ($E2E_S s)," \
    "accepted at $(rate "$ACCEPT_S") msg/s ($ACCEPT_S s)"
  if [[ -z "$best" ]] || awk -v a="$E2E_S" -v b="$best" 'BEGIN { exit !(a < b) }'; then
    BEST_E2E[$target]="$E2E_S"
    BEST_ACCEPT[$target]="$ACCEPT_S"
  fi
}

# --- the ceiling --------------------------------------------------------------------------------
# The same load from smtp-source straight to a fresh smtp-sink (dumping as the relays' sinks
# do): what the load generator and the sink manage on this machine, with no relay between them.
bench_ceiling() {  # bench_ceiling ROUND
  start_sink "ceiling-$1"
  run_relay ceiling "$SINK_PORT"
  stop_sink
  rm -rf "$SINK_DUMP_DIR"
  record ceiling
}

# --- postwarden ---------------------------------------------------------------------------------
pw() { "$PW_BINARY" --data-dir "$WORK/postwarden-data" --config "$WORK/postwarden.toml" "$@"; }

# BENCH_PIPELINE=full: a copy of BENCH_SPAM_MODEL in the work dir (a rebuild may train the
# original again mid-run), and `postwarden scan` must load it before any round starts.
prepare_spam_model() {
  local error
  [[ -f "$SPAM_MODEL" ]] || die "BENCH_PIPELINE=full: no spam model at $SPAM_MODEL" \
    "(scripts/setup.sh trains build/spam.model; or set BENCH_SPAM_MODEL)"
  cp "$SPAM_MODEL" "$WORK/spam.model"
  printf 'From: <%s>\r\nTo: <%s>\r\nSubject: probe\r\n\r\nprobe\r\n' "$SENDER" "$RECIPIENT" \
    >"$WORK/model-probe.eml"
  error="$("$PW_BINARY" --data-dir "$WORK/model-probe" scan --model "$WORK/spam.model" \
    "$WORK/model-probe.eml" 2>&1 >/dev/null)" ||
    die "BENCH_PIPELINE=full: the spam model $SPAM_MODEL cannot be loaded: $(tail -n 1 <<<"$error")"
  log "spam model: $SPAM_MODEL ($(wc -c <"$WORK/spam.model") octets) loads"
}

# The gateway's own word that it loaded the model at start (event=spam_model_loaded), else the
# event that says why not.
require_model_loaded() {  # require_model_loaded SERVE_LOG
  local i
  for ((i = 0; i < 50; i++)); do
    grep -q "event=spam_model_loaded path=$WORK/spam.model " "$1" && return 0
    sleep 0.1
  done
  die "BENCH_PIPELINE=full: postwarden did not load the spam model:" \
    "$(grep -m 1 -o 'event=spam_model_[a-z]*.*' "$1" || echo 'no event=spam_model_* in its log')"
}

# After the gateway has stopped (its decision writer flushed): the decision log holds, for every
# message, the spam check's decision with the model's reason (BAYES: the trained model's
# probability; the rules alone give none). smtp-source's messages are "unsure" to this model
# (few tokens it knows), so each one is logged and delivered.
check_classified() {
  local result
  result="$(pw log decisions --check spam --limit 100000 --json | /usr/bin/python3 -c '
import collections, json, sys
actions = collections.Counter()
ids = set()
for d in json.load(sys.stdin):
    if any(r.get("rule") == "BAYES" for r in d.get("measured", [])):
        ids.add(d["message_id"])
        actions[d["action"]] += 1
print(len(ids), ", ".join(f"{a} {n}" for a, n in sorted(actions.items())) or "none")')" ||
    die "postwarden: could not read the decision log (postwarden log decisions --check spam)"
  ((${result%% *} == MESSAGES)) || die "postwarden: the spam model judged ${result%% *} of" \
    "$MESSAGES messages (log decisions --check spam: ${result#* })"
  log "postwarden: the spam model judged all $MESSAGES messages (log decisions --check spam:" \
    "${result#* })"
}

bench_postwarden() {
  [[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"
  local round="$1" data="$WORK/postwarden-data" port i left delivered
  rm -rf "$data"
  mkdir -p "$data"
  start_sink "postwarden-$round"
  port="$(free_port)"
  # smtp-source opens all its sessions from 127.0.0.1: the per-IP limit (default 10) goes up to
  # the total limit, as in submit.sh (Postfix's side has no per-client limit either; and with a
  # new connection per message a session still counts for a moment after its client has quit
  # and reconnected, so "sessions + 10" is not always enough); delivery to the sink as the relay
  # host; the rest at its defaults.
  cat >"$WORK/postwarden.toml" <<EOF
[server]
max_sessions_per_ip = $((SESSIONS > 1000 ? SESSIONS : 1000))
max_sessions = $((SESSIONS > 1000 ? SESSIONS : 1000))
[delivery]
enabled = true
relay_host = "127.0.0.1:$SINK_PORT"
EOF
  if [[ "$PIPELINE" == full ]]; then
    printf '[spam]\nmodel = "%s"\n' "$WORK/spam.model" >>"$WORK/postwarden.toml"
  fi
  pw domain add example.com >>"$WORK/postwarden-cli.log"
  pw user add --ip 127.0.0.1/32 --owner example.com >>"$WORK/postwarden-cli.log"
  if [[ "$PIPELINE" == full ]]; then
    # Every check at its default, but what the model calls spam is delivered and never locks the
    # sender: the classifier's cost stays in the path, nothing is held.
    pw user set 127.0.0.1/32 block_spam=off automatic_lock=off >>"$WORK/postwarden-cli.log"
  fi
  local dkim_record=""
  if [[ -n "$DKIM" ]]; then
    # The sender's domain gets a key and a selector: every message is signed.
    pw dkim keygen --domain "$DKIM_DOMAIN" --selector "$DKIM_SELECTOR" --algorithm "$DKIM" \
      --json >"$WORK/postwarden-dkim.json"
    pw domain set "$DKIM_DOMAIN" "dkim_selector=$DKIM_SELECTOR" >>"$WORK/postwarden-cli.log"
    dkim_record="$(/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["record"])' \
      <"$WORK/postwarden-dkim.json")"
  fi
  "$PW_BINARY" serve --data-dir "$data" --config "$WORK/postwarden.toml" \
    --listen "127.0.0.1:$port" 2>"$WORK/postwarden-$round.log" &
  PW_PID=$!
  wait_for_port "$port" "$PW_PID" 20 || {
    tail -n 20 "$WORK/postwarden-$round.log" >&2
    die "postwarden did not accept connections on 127.0.0.1:$port within 20 s"
  }
  [[ "$PIPELINE" == full ]] && require_model_loaded "$WORK/postwarden-$round.log"
  run_relay postwarden "$port"
  # The gateway agrees: spool empty, queue empty, every message logged as delivered.
  for ((i = 0; i < 300; i++)); do
    left="$(count_files "$data/spool/incoming")"
    ((left == 0)) && break
    sleep 0.1
  done
  ((left == 0)) || die "postwarden: $left files left in the spool after the sink had them all"
  [[ "$(pw queue list --json | tr -d ' \n')" == "[]" ]] || die "postwarden: queue not empty"
  delivered="$(pw log search --status delivered --limit 100000 --json |
    grep -c '"status": "delivered"' || true)"
  # Each row has the message status and its recipient's status: two lines per message.
  ((delivered == 2 * MESSAGES)) ||
    die "postwarden: log search counts $((delivered / 2)) delivered messages, not $MESSAGES"
  stop_pid "$PW_PID" 15
  PW_PID=""
  [[ "$PIPELINE" == full ]] && check_classified
  stop_sink
  check_signed postwarden "$dkim_record"
  rm -rf "$data"
  record postwarden
}

# The last line: every rate, the ratio, the ceiling and postwarden's share of it (Postfix's when
# postwarden did not run), e.g. "relay.sh: postwarden 1218 msg/s, postfix 272 msg/s, ratio 4.48,
# smtp-sink ceiling 6200 msg/s, postwarden at 20 % of the ceiling".
summary_line() {
  local parts=() target share="" line="" part
  for target in postwarden postfix; do
    [[ -n "${BEST_E2E[$target]:-}" ]] || continue
    parts+=("$target $(rate "${BEST_E2E[$target]}") msg/s")
    [[ -z "$share" ]] && share="$target at $(awk -v c="${BEST_E2E[ceiling]}" \
      -v t="${BEST_E2E[$target]}" 'BEGIN { printf "%.0f", 100 * c / t }') % of the ceiling"
  done
  if [[ -n "${BEST_E2E[postwarden]:-}" && -n "${BEST_E2E[postfix]:-}" ]]; then
    parts+=("ratio $(awk -v p="${BEST_E2E[postwarden]}" -v f="${BEST_E2E[postfix]}" \
      'BEGIN { printf "%.2f", f / p }')")
  fi
  parts+=("smtp-sink ceiling $(rate "${BEST_E2E[ceiling]}") msg/s" "$share")
  for part in "${parts[@]}"; do line+="${line:+, }$part"; done
  echo "relay.sh: $line"
}

ensure_tools
if [[ "$PIPELINE" == full ]]; then
  [[ -x "$PW_BINARY" ]] || die "postwarden binary not found at $PW_BINARY (build it first)"
  prepare_spam_model
fi
log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
log "pipeline: $PIPELINE$([[ "$PIPELINE" == full ]] &&
  echo " (default checks, spam model judging with holds off, DKIM, durable spool)")"
[[ -n "$DKIM" ]] && log "DKIM signing on both sides: $DKIM, d=$DKIM_DOMAIN s=$DKIM_SELECTOR"
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
  bench_ceiling "$ROUND"
  for target in $TARGETS; do
    "bench_$target" "$ROUND"
  done
done
log "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for target in $TARGETS; do
  echo "$target: $(rate "${BEST_E2E[$target]}") msg/s end-to-end ($MESSAGES messages in" \
    "${BEST_E2E[$target]} s), accepted at $(rate "${BEST_ACCEPT[$target]}") msg/s"
done
if [[ -n "${BEST_E2E[postwarden]:-}" && -n "${BEST_E2E[postfix]:-}" ]]; then
  # Same message count for both, so the ratio of rates is the inverse ratio of times.
  echo "ratio: $(awk -v p="${BEST_E2E[postwarden]}" -v f="${BEST_E2E[postfix]}" \
    'BEGIN { printf "%.2f", f / p }')"
fi
echo "ceiling: $(rate "${BEST_E2E[ceiling]}") msg/s end-to-end ($MESSAGES messages in" \
  "${BEST_E2E[ceiling]} s, smtp-source straight to smtp-sink)"
summary_line

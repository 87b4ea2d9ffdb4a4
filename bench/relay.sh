#!/usr/bin/env bash
# Relay benchmark: how fast postwarden takes mail over SMTP, queues it durably and delivers it to
# the next hop, against a throwaway Postfix relay on the same machine in the same run (SPEC
# section 6, "Fast"). Both get the same load from smtp-source and relay everything to their own
# fresh smtp-sink; the clock runs from the first connection until the sink has every message.
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
#        set it to 1 without BENCH_DKIM for an unsigned run with the same sink cost).
set -euo pipefail

readonly REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly PW_BINARY="${PW_BINARY:-$REPO/build/postwarden}"
readonly MESSAGES="${BENCH_MESSAGES:-20000}"
readonly SESSIONS="${BENCH_SESSIONS:-20}"
readonly SIZE="${BENCH_SIZE:-4096}"
readonly ROUNDS="${BENCH_ROUNDS:-1}"
readonly TARGETS="${BENCH_TARGETS:-postwarden postfix}"
readonly RUN_TIMEOUT="${BENCH_TIMEOUT:-900}"
readonly DKIM="${BENCH_DKIM:-}"
readonly SINK_DUMP="${BENCH_SINK_DUMP:-$([[ -n "$DKIM" ]] && echo 1 || echo 0)}"
readonly DKIM_DOMAIN="example.com"  # the sender's domain (SENDER), on both sides
readonly DKIM_SELECTOR="bench"
readonly SENDER="sender@example.com"
readonly RECIPIENT="rcpt@example.net"
readonly SYSTEM_POSTFIX_CONF="/etc/postfix"

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

WORK="$(mktemp -d /tmp/pw-bench-relay.XXXXXX)"
# Postfix daemons run as the postfix user and must traverse the path to their queue.
chmod 755 "$WORK"
PW_PID=""
SINK_PID=""
OD_PID=""
OD_DIR=""
PF_CONF=""
PF_MASTER_PID=""
PF_ALT_DIRS_ORIGINAL=""
PF_MAIN_CF_CREATED=0
PF_ALT_DIRS_CHANGED=0

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

# The processes of our Postfix instance: its daemons carry MAIL_CONFIG=<our config dir>.
postfix_instance_pids() {
  local environ pid
  for environ in /proc/[0-9]*/environ; do
    pid="${environ#/proc/}"
    pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    if tr '\0' '\n' 2>/dev/null <"$environ" | grep -qx "MAIL_CONFIG=$PF_CONF"; then
      echo "$pid"
    fi
  done
}

cleanup() {
  local status=$?
  set +e
  [[ -n "$PW_PID" ]] && stop_pid "$PW_PID" 15
  if [[ -n "$PF_MASTER_PID" ]]; then
    postfix -c "$PF_CONF" stop >/dev/null 2>&1
    stop_pid "$PF_MASTER_PID" 20
  fi
  if [[ -n "$PF_CONF" ]]; then
    local i stray
    for ((i = 0; i < 50; i++)); do
      stray="$(postfix_instance_pids)"
      [[ -z "$stray" ]] && break
      ((i == 0)) && log "waiting for $(wc -w <<<"$stray") postfix processes to exit"
      sleep 0.1
    done
    [[ -n "$stray" ]] && kill -KILL $stray 2>/dev/null
  fi
  [[ -n "$OD_PID" ]] && stop_pid "$OD_PID" 10
  [[ -n "$OD_DIR" ]] && rm -rf "$OD_DIR"
  [[ -n "$SINK_PID" ]] && stop_pid "$SINK_PID" 5
  if ((PF_MAIN_CF_CREATED)); then
    rm -f "$SYSTEM_POSTFIX_CONF/main.cf"
  elif ((PF_ALT_DIRS_CHANGED)); then
    postconf -c "$SYSTEM_POSTFIX_CONF" -e "alternate_config_directories = $PF_ALT_DIRS_ORIGINAL"
  fi
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

# --- postwarden ---------------------------------------------------------------------------------
pw() { "$PW_BINARY" --data-dir "$WORK/postwarden-data" --config "$WORK/postwarden.toml" "$@"; }

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
  pw domain add example.com >>"$WORK/postwarden-cli.log"
  pw user add --ip 127.0.0.1/32 --owner example.com >>"$WORK/postwarden-cli.log"
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
  stop_sink
  check_signed postwarden "$dkim_record"
  rm -rf "$data"
  record postwarden
}

# --- Postfix ------------------------------------------------------------------------------------
allow_postfix_config_dir() {  # Postfix only runs an instance that the default main.cf lists
  local dir="$1"
  if [[ ! -f "$SYSTEM_POSTFIX_CONF/main.cf" ]]; then
    cp "$SYSTEM_POSTFIX_CONF/main.cf.proto" "$SYSTEM_POSTFIX_CONF/main.cf"
    PF_MAIN_CF_CREATED=1
  else
    PF_ALT_DIRS_ORIGINAL="$(postconf -c "$SYSTEM_POSTFIX_CONF" -h alternate_config_directories)"
    PF_ALT_DIRS_CHANGED=1
  fi
  postconf -c "$SYSTEM_POSTFIX_CONF" -e \
    "alternate_config_directories = ${PF_ALT_DIRS_ORIGINAL:+$PF_ALT_DIRS_ORIGINAL, }$dir"
}

# Debian's opendkim milter, signing for DKIM_DOMAIN with its own throwaway key and config, in
# the foreground on a loopback TCP socket. Sets OD_PID, OD_PORT and OD_RECORD (the TXT record of
# its key, for the proof at the sink).
start_opendkim() {  # start_opendkim ROUND
  local dir algorithm public
  # opendkim refuses a config or key file below a directory others may write (so not /tmp):
  # its own directory under /run, removed by the trap.
  [[ -n "$OD_DIR" ]] && rm -rf "$OD_DIR"
  OD_DIR="$(mktemp -d /run/pw-bench-opendkim.XXXXXX)"
  dir="$OD_DIR"
  if [[ "$DKIM" == rsa ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/key.pem" 2>/dev/null
    public="$(openssl pkey -in "$dir/key.pem" -pubout -outform DER | base64 -w0)"
    OD_RECORD="v=DKIM1; k=rsa; p=$public"
    algorithm=rsa-sha256
  else
    openssl genpkey -algorithm ed25519 -out "$dir/key.pem" 2>/dev/null
    # The record holds the raw 32-octet key (RFC 8463), the end of the DER SubjectPublicKeyInfo.
    public="$(openssl pkey -in "$dir/key.pem" -pubout -outform DER | tail -c 32 | base64 -w0)"
    OD_RECORD="v=DKIM1; k=ed25519; p=$public"
    algorithm=ed25519-sha256
  fi
  chmod 600 "$dir/key.pem"
  OD_PORT="$(free_port)"
  # Sign (mode s) mail from the loopback clients, relaxed/relaxed and From over-signed like
  # postwarden's defaults; no syslog, no pid file, no privilege drop (root owns the key).
  cat >"$dir/opendkim.conf" <<EOF
Mode                    s
Domain                  $DKIM_DOMAIN
Selector                $DKIM_SELECTOR
KeyFile                 $dir/key.pem
SignatureAlgorithm      $algorithm
Canonicalization        relaxed/relaxed
OversignHeaders         From
InternalHosts           127.0.0.0/8
Socket                  inet:$OD_PORT@127.0.0.1
Background              no
Syslog                  no
EOF
  opendkim -f -x "$dir/opendkim.conf" >"$WORK/opendkim-$1.log" 2>&1 &
  OD_PID=$!
  wait_for_port "$OD_PORT" "$OD_PID" 20 || {
    tail -n 20 "$WORK/opendkim-$1.log" >&2
    die "opendkim did not listen on 127.0.0.1:$OD_PORT within 20 s"
  }
}

bench_postfix() {
  local round="$1" conf="$WORK/postfix-etc" queue="$WORK/postfix-queue" data="$WORK/postfix-data"
  local port i left sent
  if [[ -z "$PF_CONF" ]]; then
    PF_CONF="$conf"
    mkdir -p "$conf"
    allow_postfix_config_dir "$conf"
  fi
  rm -rf "$queue" "$data"
  mkdir -p "$queue" "$data"
  start_sink "postfix-$round"
  port="$(free_port)"
  # A relay for loopback clients to the sink, otherwise Postfix's defaults (20 connections per
  # destination, connection caching on demand), like postwarden's.
  cat >"$conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $queue
data_directory = $data
meta_directory = $SYSTEM_POSTFIX_CONF
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.postfix.invalid
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 0
alias_maps =
alias_database =
local_transport = error:no local delivery
local_recipient_maps =
maillog_file = /dev/stdout
EOF
  OD_RECORD=""
  if [[ -n "$DKIM" ]]; then
    start_opendkim "$round"
    # The milter on every message; if it cannot be reached, mail waits (never leaves unsigned).
    cat >>"$conf/main.cf" <<EOF
smtpd_milters = inet:127.0.0.1:$OD_PORT
non_smtpd_milters = inet:127.0.0.1:$OD_PORT
milter_default_action = tempfail
EOF
  fi
  # The SMTP listener on our port; no chroot (it would need copies of /etc in the queue dir).
  awk -v listen="127.0.0.1:$port" '
    /^smtp[ \t]+inet[ \t]/ { $1 = listen }
    /^[a-z]/ && $2 ~ /^(inet|unix|unix-dgram|fifo|pass)$/ && NF >= 8 { $5 = "n" }
    { print }' "$SYSTEM_POSTFIX_CONF/master.cf" >"$conf/master.cf"
  postfix -c "$conf" set-permissions >"$WORK/postfix-setup.log" 2>&1 ||
    { cat "$WORK/postfix-setup.log" >&2; die "postfix set-permissions failed"; }
  postfix -c "$conf" check >>"$WORK/postfix-setup.log" 2>&1 ||
    { cat "$WORK/postfix-setup.log" >&2; die "postfix check failed"; }
  postfix -c "$conf" start-fg >"$WORK/postfix-$round.log" 2>&1 &
  PF_MASTER_PID=$!
  wait_for_port "$port" "$PF_MASTER_PID" 30 || {
    tail -n 20 "$WORK/postfix-$round.log" >&2
    die "postfix did not accept connections on 127.0.0.1:$port within 30 s"
  }
  run_relay postfix "$port"
  # Its queue is empty, and its log says sent for each message.
  for ((i = 0; i < 300; i++)); do
    left="$(count_files "$queue/maildrop" "$queue/incoming" "$queue/active" "$queue/deferred")"
    ((left == 0)) && break
    sleep 0.1
  done
  ((left == 0)) || die "postfix: $left files left in its queue after the sink had them all"
  sent="$(grep -c 'status=sent' "$WORK/postfix-$round.log" || true)"
  ((sent == MESSAGES)) || die "postfix: $sent status=sent lines, not $MESSAGES"
  postfix -c "$conf" stop >/dev/null 2>&1 || true
  stop_pid "$PF_MASTER_PID" 20
  PF_MASTER_PID=""
  if [[ -n "$OD_PID" ]]; then
    stop_pid "$OD_PID" 10
    OD_PID=""
  fi
  stop_sink
  check_signed postfix "$OD_RECORD"
  rm -rf "$queue"
  record postfix
}

ensure_tools
log "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
[[ -n "$DKIM" ]] && log "DKIM signing on both sides: $DKIM, d=$DKIM_DOMAIN s=$DKIM_SELECTOR"
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
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

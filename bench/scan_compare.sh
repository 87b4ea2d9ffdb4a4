#!/usr/bin/env bash
# Compares postwarden's spam classifier (F-SPAM) with bogofilter and rspamd, side by side, on
# sets none of them was trained or tuned on. Not a test: it prints tables for bench/README.md.
#   Training, the same for postwarden and bogofilter, as scripts/setup.sh trains the shipped
#   model: the corpus' train/ folders (80 % of spam-1 and easy-ham-1, scripts/spam_corpus.sh)
#   and the tune half (odd numbers) of tests/data/modern, each of those counted 3 times
#   (postwarden --extra-weight 3, calibrated by cross-validation inside its training set;
#   bogofilter -s / -n, the tune half registered 3 times). rspamd runs its default rules with an
#   untrained Bayes.
#   Evaluation sets:
#     spam-2                  SpamAssassin's second spam folder (held out)
#     easy-ham-2, hard-ham-1  SpamAssassin's held-out ham folders, and the two together
#     modern-ham, modern-spam the report half (even numbers) of tests/data/modern/, written by
#                             the project; the odd half is the only part anything was tuned on
# Three verdicts for each tool: postwarden ham / unsure / spam; bogofilter Ham / Unsure / Spam
# (-t -v -B); rspamd: action "reject" = spam, "add header" / "rewrite subject" / "greylist" =
# unsure, else ham. Recall = spam verdicts / spam messages; FPR = spam verdicts / ham messages;
# unsure = unsure verdicts / messages.
# Speed: the corpus' test/ folders REPEAT times in one run (process start and model load
# included), msg/s = messages / wall time; rspamd is timed after an untimed pass.
# Usage: bench/scan_compare.sh   (env: PW_BINARY, REPEAT=10, RSPAMD=1 to include rspamd)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$REPO/bench/spam_training.sh"
PW="${PW_BINARY:-$REPO/build/postwarden}"
REPEAT="${REPEAT:-10}"
WITH_RSPAMD="${RSPAMD:-1}"
RSPAMD_START_TIMEOUT_S=180

command -v bogofilter >/dev/null || { echo "scan_compare: bogofilter missing (scripts/setup.sh)" >&2; exit 1; }
"$PW" train --help >/dev/null 2>&1 || { echo "scan_compare: $PW has no train command" >&2; exit 1; }
corpus="$("$REPO/scripts/spam_corpus.sh")"
work="$(mktemp -d /tmp/pw-scan-compare.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The evaluation sets, as "SET FILE" lines; the modern sets' report half only.
: >"$work/sets"
for set in spam-2 easy-ham-2 hard-ham-1; do
  for f in "$corpus/eval/$set"/*; do echo "$set $f" >>"$work/sets"; done
done
for kind in ham spam; do
  for f in "$REPO/tests/data/modern/$kind"/"$kind"-*.eml; do
    num=$(basename "$f" | sed -E 's/^[a-z]+-0*([0-9]+).*/\1/')
    ((num % 2 == 0)) && echo "modern-$kind $f" >>"$work/sets"
  done
done
mapfile -t eval_files < <(awk '{ print $2 }' "$work/sets")
speed_files=("$corpus"/test/spam/* "$corpus"/test/ham/*)
repeated=()
for ((i = 0; i < REPEAT; i++)); do repeated+=("${speed_files[@]}"); done
n=${#speed_files[@]}
echo "corpus: $corpus"
echo "evaluation: $(awk '{ print $1 }' "$work/sets" | sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }')"
echo "train set: $(ls "$corpus"/train/spam | wc -l) spam, $(ls "$corpus"/train/ham | wc -l) ham"

now() { date +%s.%N; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.0f}')" "$@"; }
cat "${eval_files[@]}" "${speed_files[@]}" >/dev/null  # the page cache holds them for every tool

# Verdict files: "FILE spam|unsure|ham" per line.
# The modern set's tune half, as setup.sh links it.
link_modern_tune "$REPO" "$work/tune"

# --- postwarden ---
mkdir -p "$work/pw-data"
train_postwarden "$PW" "$work/pw-data" "$corpus" "$work/tune" "$work/pw.model" >"$work/pw-train.log"
grep '^cross-validation' "$work/pw-train.log" || true
"$PW" --data-dir "$work/pw-data" scan --model "$work/pw.model" --json "${eval_files[@]}" >"$work/pw.json"
python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    print(r["file"], r["verdict"])' "$work/pw.json" >"$work/pw.verdicts"
"$PW" --data-dir "$work/pw-data" scan --model "$work/pw.model" --timing "${speed_files[@]}" \
  >/dev/null 2>"$work/pw.timing"
t0=$(now)
"$PW" --data-dir "$work/pw-data" scan --model "$work/pw.model" --json "${repeated[@]}" >/dev/null
t1=$(now)
pw_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")

# --- bogofilter ---
train_bogofilter "$work/bogo" "$corpus" "$work/tune"
# bogofilter's exit status is its last verdict (0 spam, 1 ham, 2 unsure); 3 is an error.
bogofilter -d "$work/bogo" -t -v -B "${eval_files[@]}" >"$work/bogo.out" || (($? < 3))
awk '{ v = $(NF-1); print $1, (v == "S" ? "spam" : (v == "U" ? "unsure" : "ham")) }' \
  "$work/bogo.out" >"$work/bogo.verdicts"
t0=$(now)
bogofilter -d "$work/bogo" -t -v -B "${repeated[@]}" >/dev/null || (($? < 3))
t1=$(now)
bogo_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")

# --- rspamd (private instance on loopback, resolver = a dnsmasq answering NXDOMAIN at once) ---
rs_rep=0
if [[ "$WITH_RSPAMD" == 1 ]]; then
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  free_udp() { python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  rs="$work/rspamd"; mkdir -p "$rs"/{local.d,override.d,run,db,log}
  port=$(free_port); cport=$(free_port); dport=$(free_udp)
  echo "bind_socket = \"127.0.0.1:$port\";" >"$rs/local.d/worker-normal.inc"
  echo "bind_socket = \"127.0.0.1:$cport\";" >"$rs/local.d/worker-controller.inc"
  echo "enabled = false;" >"$rs/local.d/worker-proxy.inc"
  echo "dns { nameserver = [\"127.0.0.1:$dport\"]; timeout = 1s; retransmits = 1; }" >"$rs/local.d/options.inc"
  printf 'type = "console";\nlevel = "error";\n' >"$rs/override.d/logging.inc"
  dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --port="$dport" \
    --listen-address=127.0.0.1 --bind-interfaces --address=/#/ >"$work/dnsmasq.log" 2>&1 &
  pids+=($!)
  as=(-i)
  if [[ $(id -u) == 0 ]] && id _rspamd >/dev/null 2>&1; then chown -R _rspamd:_rspamd "$rs"; as=(-u _rspamd -g _rspamd); fi
  rspamd -f -c /etc/rspamd/rspamd.conf --var "LOCAL_CONFDIR=$rs" --var "RUNDIR=$rs/run" \
    --var "DBDIR=$rs/db" --var "LOGDIR=$rs/log" "${as[@]}" >"$work/rspamd.log" 2>&1 &
  pids+=($!)
  ready=0
  for ((i = 0; i < RSPAMD_START_TIMEOUT_S * 5; i++)); do
    if [[ "$(curl -s -m 1 "http://127.0.0.1:$port/ping" 2>/dev/null)" == pong* ]]; then ready=1; break; fi
    sleep 0.2
  done
  [[ $ready == 1 ]] || { echo "scan_compare: rspamd did not start" >&2; tail "$work/rspamd.log" >&2; exit 1; }
  # The accuracy pass also warms rspamd up (Hyperscan); the timed pass comes after it.
  rspamc -h "127.0.0.1:$port" -n 16 "${eval_files[@]}" >"$work/rspamd.out"
  awk '/^Results for file: / { f = $4 }
       /^Action: / { a = substr($0, 9);
                     print f, (a == "reject" ? "spam" : (a ~ /add header|rewrite subject|greylist/ ? "unsure" : "ham")) }' \
    "$work/rspamd.out" >"$work/rspamd.verdicts"
  t0=$(now)
  rspamc -h "127.0.0.1:$port" -n 16 -j "${repeated[@]}" >/dev/null
  t1=$(now)
  rs_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")
fi

python3 - "$work" "$REPEAT" "$pw_rep" "$bogo_rep" "$rs_rep" "$WITH_RSPAMD" <<'PY'
import collections, re, sys
work, repeat = sys.argv[1], int(sys.argv[2])
speeds = {"postwarden": float(sys.argv[3]), "bogofilter": float(sys.argv[4]),
          "rspamd (untrained Bayes)": float(sys.argv[5])}
tools = [("postwarden", "pw"), ("bogofilter", "bogo")]
if sys.argv[6] == "1":
    tools.append(("rspamd (untrained Bayes)", "rspamd"))
set_of = {}
for line in open(f"{work}/sets"):
    s, f = line.rstrip("\n").split(" ", 1)
    set_of[f] = s
order = ["spam-2", "modern-spam", "easy-ham-2", "hard-ham-1", "easy+hard ham", "modern-ham"]
def table(key):
    verdicts = {}
    for line in open(f"{work}/{key}.verdicts"):
        f, v = line.rstrip("\n").rsplit(" ", 1)
        verdicts[f] = v
    missing = [f for f in set_of if f not in verdicts]
    assert not missing, f"{key}: no verdict for {len(missing)} files, e.g. {missing[:2]}"
    counts = collections.defaultdict(collections.Counter)
    for f, s in set_of.items():
        counts[s][verdicts[f]] += 1
        if s in ("easy-ham-2", "hard-ham-1"):
            counts["easy+hard ham"][verdicts[f]] += 1
    return counts
print()
print("| tool | set | messages | spam | unsure | ham | recall or FPR | unsure share |")
print("|---|---|---|---|---|---|---|---|")
for name, key in tools:
    counts = table(key)
    for s in order:
        c = counts[s]
        total = sum(c.values())
        label = "recall" if "spam" in s else "FPR"
        print(f"| {name} | {s} | {total} | {c['spam']} | {c['unsure']} | {c['ham']} | "
              f"{label} {c['spam'] / total:.4f} | {c['unsure'] / total:.3f} |")
print()
timing = open(f"{work}/pw.timing").read()
m = re.search(r"\(([0-9]+) msg/s per core\)", timing)
print(f"postwarden classifier alone: {m.group(1) if m else '?'} msg/s per core of CPU (scan --timing)")
for name, _ in tools:
    print(f"{name}: {speeds[name]:.0f} msg/s wall ({repeat} passes over test/, one process)")
for name, _ in tools[1:]:
    print(f"speed ratio postwarden / {name}: {speeds['postwarden'] / speeds[name]:.2f}")
PY

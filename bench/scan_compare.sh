#!/usr/bin/env bash
# Compares postwarden's spam classifier (F-SPAM) with bogofilter and rspamd on the held-out 20 %
# of the SpamAssassin corpus (scripts/spam_corpus.sh: train/ = 80 % of spam-1 and easy-ham-1,
# test/ = the other 20 %). Not a test: it prints a table for bench/README.md.
#   - postwarden: `postwarden train` on train/, `postwarden scan --json` on test/.
#   - bogofilter: trained on train/ (-s / -n, private -d dir), `bogofilter -t -v -B` on test/;
#     "Unsure" counts as ham (not flagged).
#   - rspamd: default rules, untrained Bayes (accuracy for information only); spam = rspamc's
#     "Spam: true" (action "add header" or stronger). Speed with `rspamc -n 16 -j`.
# Precision, recall and false-positive rate take spam as the positive class. Speed: one pass
# over test/ (process start and model load included), and REPEAT passes in one run for a steadier
# figure (msg/s = messages scanned / wall time). rspamd is timed after an untimed pass.
# Usage: bench/scan_compare.sh   (env: PW_BINARY, REPEAT=10, RSPAMD=1 to include rspamd)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
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

spam_files=("$corpus"/test/spam/*)
ham_files=("$corpus"/test/ham/*)
all_files=("${spam_files[@]}" "${ham_files[@]}")
repeated=()
for ((i = 0; i < REPEAT; i++)); do repeated+=("${all_files[@]}"); done
n=${#all_files[@]}
echo "corpus: $corpus"
echo "test set: ${#spam_files[@]} spam, ${#ham_files[@]} ham; train set: $(ls "$corpus"/train/spam | wc -l) spam, $(ls "$corpus"/train/ham | wc -l) ham"

now() { date +%s.%N; }
cat "${all_files[@]}" >/dev/null  # the page cache holds the test files for every tool alike
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2])):.0f}')" "$@"; }

# Verdict files: "PATH spam|ham" per line.
# --- postwarden ---
mkdir -p "$work/pw-data"
"$PW" --data-dir "$work/pw-data" train --spam "$corpus/train/spam" --ham "$corpus/train/ham" \
  --out "$work/pw.model" >"$work/pw-train.log"
t0=$(now)
"$PW" --data-dir "$work/pw-data" scan --model "$work/pw.model" --json "${all_files[@]}" >"$work/pw.json"
t1=$(now)
pw_once=$(rate "$n" "$t0" "$t1")
python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    print(r["file"], r["verdict"])' "$work/pw.json" >"$work/pw.verdicts"
t0=$(now)
"$PW" --data-dir "$work/pw-data" scan --model "$work/pw.model" --json "${repeated[@]}" >/dev/null
t1=$(now)
pw_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")

# --- bogofilter ---
mkdir -p "$work/bogo"
bogofilter -d "$work/bogo" -s -B "$corpus"/train/spam/*
bogofilter -d "$work/bogo" -n -B "$corpus"/train/ham/*
t0=$(now)
# bogofilter's exit status is its last verdict (0 spam, 1 ham, 2 unsure); 3 is an error.
bogofilter -d "$work/bogo" -t -v -B "${all_files[@]}" >"$work/bogo.out" || (($? < 3))
t1=$(now)
bogo_once=$(rate "$n" "$t0" "$t1")
awk '{ v = $(NF-1); print $1, (v == "S" ? "spam" : "ham") }' "$work/bogo.out" >"$work/bogo.verdicts"
bogo_unsure=$(awk '$(NF-1) == "U"' "$work/bogo.out" | wc -l)
t0=$(now)
bogofilter -d "$work/bogo" -t -v -B "${repeated[@]}" >/dev/null || (($? < 3))
t1=$(now)
bogo_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")

# --- rspamd (private instance on loopback, resolver = a dnsmasq answering NXDOMAIN at once) ---
rs_line=""
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
  t0=$(now)
  rspamd -f -c /etc/rspamd/rspamd.conf --var "LOCAL_CONFDIR=$rs" --var "RUNDIR=$rs/run" \
    --var "DBDIR=$rs/db" --var "LOGDIR=$rs/log" "${as[@]}" >"$work/rspamd.log" 2>&1 &
  pids+=($!)
  ready=0
  for ((i = 0; i < RSPAMD_START_TIMEOUT_S * 5; i++)); do
    if [[ "$(curl -s -m 1 "http://127.0.0.1:$port/ping" 2>/dev/null)" == pong* ]]; then ready=1; break; fi
    sleep 0.2
  done
  [[ $ready == 1 ]] || { echo "scan_compare: rspamd did not start" >&2; tail "$work/rspamd.log" >&2; exit 1; }
  echo "rspamd ready in $(python3 -c "print(f'{$(now) - $t0:.1f}')") s"
  # The accuracy pass also warms rspamd up (its Hyperscan databases may still be compiling:
  # until then it matches with PCRE, much slower); the timed passes come after it.
  rspamc -h "127.0.0.1:$port" -n 16 "${all_files[@]}" >"$work/rspamd.out"
  t0=$(now)
  rspamc -h "127.0.0.1:$port" -n 16 -j "${all_files[@]}" >/dev/null
  t1=$(now)
  rs_once=$(rate "$n" "$t0" "$t1")
  awk '/^Results for file: / { f = $4 } /^Spam: / { print f, ($2 == "true" ? "spam" : "ham") }' \
    "$work/rspamd.out" >"$work/rspamd.verdicts"
  t0=$(now)
  rspamc -h "127.0.0.1:$port" -n 16 -j "${repeated[@]}" >/dev/null
  t1=$(now)
  rs_rep=$(rate "$((n * REPEAT))" "$t0" "$t1")
  rs_line="rspamd (untrained Bayes) $work/rspamd.verdicts $rs_once $rs_rep"
fi

python3 - "$n" "$REPEAT" "$bogo_unsure" <<PY
import sys
n, repeat, unsure = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rows = [("postwarden", "$work/pw.verdicts", float("$pw_once"), float("$pw_rep")),
        ("bogofilter", "$work/bogo.verdicts", float("$bogo_once"), float("$bogo_rep"))]
rs = "$rs_line".split()
if rs:
    rows.append((" ".join(rs[:-3]), rs[-3], float(rs[-2]), float(rs[-1])))
def score(path):
    tp = fp = tn = fn = 0
    seen = 0
    for line in open(path):
        f, verdict = line.rsplit(" ", 1)
        seen += 1
        spam_truth = "/test/spam/" in f
        flagged = verdict.strip() == "spam"
        tp += spam_truth and flagged; fn += spam_truth and not flagged
        fp += (not spam_truth) and flagged; tn += (not spam_truth) and not flagged
    assert seen == n, f"{path}: {seen} verdicts for {n} files"
    prec = tp / (tp + fp) if tp + fp else 0.0
    return prec, tp / (tp + fn), fp / (fp + tn), (tp, fp, tn, fn)
print()
print(f"| tool | precision | recall | false-positive rate | TP/FP/TN/FN | msg/s (1 pass) | msg/s ({repeat} passes) |")
print("|---|---|---|---|---|---|---|")
for name, path, once, rep in rows:
    p, r, fpr, c = score(path)
    print(f"| {name} | {p:.3f} | {r:.3f} | {fpr:.3f} | {'/'.join(map(str, c))} | {once:.0f} | {rep:.0f} |")
print()
print(f"bogofilter: {unsure} Unsure verdict(s) counted as ham")
ours = rows[0]
for name, _, once, rep in rows[1:]:
    print(f"speed ratio postwarden / {name}: {ours[2] / once:.2f} (1 pass), {ours[3] / rep:.2f} ({repeat} passes)")
PY

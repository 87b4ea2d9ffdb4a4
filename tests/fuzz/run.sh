#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time on a copy of its seed corpus.
# Exits non-zero when any target finds a crash, leak or broken promise (the input is kept in
# fuzz-findings/).
#   tests/fuzz/run.sh [SECONDS]        short run (default 20 s per target; the test command's)
#   tests/fuzz/run.sh --long MINUTES   long run: every target MINUTES long; the inputs that add
#                                      coverage are merged into tests/fuzz/corpus/TARGET (commit
#                                      them), and a summary is appended to fuzz-long-runs.log
#   PW_FUZZ_TARGETS="dns_answer sasl"  runs only these targets (either mode)
set -euo pipefail
cd "$(dirname "$0")/../.."
LONG=0
if [[ "${1:-}" == "--long" ]]; then
  LONG=1
  MINUTES="${2:?usage: tests/fuzz/run.sh --long MINUTES}"
  SECONDS_PER_TARGET=$((MINUTES * 60))
else
  SECONDS_PER_TARGET="${1:-20}"
fi
TARGETS=(command_parser data_reader cidr config sasl identity_rules header_from attachment_scanner
  mime_guard scanner_replies clamd_reply nrd_feed fuzzy_fingerprint mime_text dkim batv_prvs http_request
  spam_model dns_answer)
[[ -n "${PW_FUZZ_TARGETS:-}" ]] && read -r -a TARGETS <<<"$PW_FUZZ_TARGETS"
# Longest input per target: 4 KiB, except where a hostile input needs room (a DNS reply over TCP).
max_len_of() {
  case "$1" in
    dns_answer) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! cmake --build build-fuzz -j"${PW_JOBS:-2}" >build-fuzz/build.log 2>&1; then
  echo "fuzz: build failed"; tail -n 40 build-fuzz/build.log; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in "${TARGETS[@]}"; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  before=$(ls tests/fuzz/corpus/$target | wc -l)
  if build-fuzz/fuzz_$target "$work/$target" -max_total_time="$SECONDS_PER_TARGET" \
      -max_len="$(max_len_of "$target")" -timeout=25 -rss_limit_mb=2048 \
      -artifact_prefix="$work/crash-$target-" >"$work/$target.log" 2>&1; then
    echo "fuzz: $target ok: $(tail -n 1 "$work/$target.log")"; result=clean
  else
    echo "fuzz: $target FAILED"; tail -n 30 "$work/$target.log"; status=1; result=FINDING
    mkdir -p fuzz-findings && cp "$work"/crash-$target-* fuzz-findings/ 2>/dev/null || true
  fi
  if ((LONG)); then
    # Keep what adds coverage: merge the run's corpus into the checked-in one.
    build-fuzz/fuzz_$target -merge=1 -max_len="$(max_len_of "$target")" \
      tests/fuzz/corpus/$target "$work/$target" >"$work/$target.merge.log" 2>&1 || true
    runs=$(grep -oE 'Done [0-9]+ runs' "$work/$target.log" | awk '{print $2}' || true)
    [[ -z "$runs" ]] && runs=$(grep -oE '^#[0-9]+' "$work/$target.log" | tail -n 1 | tr -d '#' || true)
    after=$(ls tests/fuzz/corpus/$target | wc -l)
    printf '%s target=%s minutes=%s runs=%s corpus=%s->%s result=%s\n' "$(date -u +%FT%TZ)" \
      "$target" "$MINUTES" "${runs:-?}" "$before" "$after" \
      "$result" | tee -a fuzz-long-runs.log
  fi
done
exit $status

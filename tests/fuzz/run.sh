#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time (default 20 s) on a copy of its
# seed corpus. Exits non-zero when any target finds a crash, leak or broken promise.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET="${1:-20}"
CXX=clang++-14 cmake -S tests/fuzz -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if ! cmake --build build-fuzz -j"${PW_JOBS:-2}" >build-fuzz/build.log 2>&1; then
  echo "fuzz: build failed"; tail -n 40 build-fuzz/build.log; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in command_parser data_reader cidr config sasl identity_rules header_from attachment_scanner mime_guard scanner_replies clamd_reply nrd_feed fuzzy_fingerprint mime_text dkim batv_prvs http_request spam_model; do
  mkdir -p "$work/$target"
  cp tests/fuzz/corpus/$target/* "$work/$target/"
  if build-fuzz/fuzz_$target "$work/$target" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 \
      -artifact_prefix="$work/crash-$target-" >"$work/$target.log" 2>&1; then
    echo "fuzz: $target ok: $(tail -n 1 "$work/$target.log")"
  else
    echo "fuzz: $target FAILED"; tail -n 30 "$work/$target.log"; status=1
    mkdir -p fuzz-findings && cp "$work"/crash-$target-* fuzz-findings/ 2>/dev/null || true
  fi
done
exit $status

#!/usr/bin/env bash
# Runs every test: installs what is missing, builds the normal and the sanitizer (ASan+UBSan)
# binaries, runs the unit tests (ctest) on both, the SMTP transcript tests and the end-to-end
# tests (pytest, real processes) on both, and each libFuzzer target briefly. Exits non-zero on
# the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --asan

# Debian's interpreter has python3-pytest; another python3 may be first on PATH.
PYTHON=/usr/bin/python3
echo "== format check (clang-format-14 --dry-run -Werror, the repository's .clang-format)"
find src tests/unit tests/fuzz bench \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 |
  xargs -0 clang-format-14 --dry-run -Werror
echo "== layer check (scripts/layers.txt), size check (scripts/size_exceptions.txt) and their tests"
$PYTHON scripts/check_layers.py
$PYTHON scripts/check_sizes.py
$PYTHON -m pytest tests/tools -q -p no:cacheprovider
echo "== clang-tidy (.clang-tidy) on src/: the sources changed since they last passed (scripts/tidy.py)"
$PYTHON scripts/tidy.py
echo "== unit tests (ctest)"
ctest --test-dir build --output-on-failure -j2
echo "== unit tests under ASan+UBSan (ctest)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== SMTP transcript tests (tests/transcripts, pytest)"
PW_BINARY="$PWD/build/postwarden" $PYTHON -m pytest tests/transcripts -q -p no:cacheprovider
echo "== SMTP transcript tests under ASan+UBSan (pytest)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  PW_BINARY="$PWD/build-asan/postwarden" $PYTHON -m pytest tests/transcripts -q -p no:cacheprovider

echo "== end-to-end tests (pytest)"
PW_BINARY="$PWD/build/postwarden" $PYTHON -m pytest tests/e2e -q -p no:cacheprovider
echo "== end-to-end tests under ASan+UBSan (pytest)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  PW_BINARY="$PWD/build-asan/postwarden" $PYTHON -m pytest tests/e2e -q -p no:cacheprovider

echo "== fuzzing (${PW_FUZZ_SECONDS:-15} s per parser)"
tests/fuzz/run.sh "${PW_FUZZ_SECONDS:-15}"
echo "all tests passed"

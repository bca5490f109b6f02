#!/usr/bin/env bash
# Builds dfs and runs its unit and/or integration tests with meson; ends with "N passed, N failed".
# Usage: scripts/test.sh [--unit] [--integration] [--coverage|--asan] [-v]   (default: both suites)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

unit=0 integration=0 coverage=0 asan=0 verbose=0
while (($#)); do
  case "$1" in
    --unit) unit=1 ;;
    --integration) integration=1 ;;
    --coverage) coverage=1 ;;
    --asan) asan=1 ;;
    -v|--verbose) verbose=1 ;;
    -h|--help) usage 0 ;;
    *) echo "test.sh: unknown argument '$1'" >&2; usage 2 ;;
  esac
  shift
done
if (( unit == 0 && integration == 0 )); then unit=1; integration=1; fi

summary_and_exit() {  # summary_and_exit PASSED FAILED SKIPPED
  local line="$1 passed, $2 failed"
  (( $3 > 0 )) && line="$line, $3 skipped"
  echo "$line"
  (( $2 == 0 )) || exit 1
  exit 0
}

scripts/install-deps.sh

setup_args=()
if (( coverage )); then
  dir=build-coverage
  setup_args=(-Db_coverage=true --buildtype=debug)
elif (( asan )); then
  # AddressSanitizer in every binary, the daemons the integration tests start included: a
  # memory error aborts the process, and the test that used it fails.
  dir=build-asan
  setup_args=(-Db_sanitize=address --buildtype=debug)
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
else
  dir=build-test
fi
# meson picks up ccache by itself when it is installed.
if [[ ! -f "$dir/build.ninja" ]]; then
  rm -rf "$dir"
  if ! meson setup "$dir" "${setup_args[@]}"; then
    echo "test.sh: meson setup failed" >&2
    summary_and_exit 0 1 0
  fi
fi
if ! ninja -C "$dir" -j2; then
  echo "test.sh: build failed" >&2
  summary_and_exit 0 1 0
fi

test_args=(--print-errorlogs --num-processes 2)
(( unit )) && test_args+=(--suite unit)
(( integration )) && test_args+=(--suite integration)
(( verbose )) && test_args+=(--verbose)

testlog="$dir/meson-logs/testlog.json"
rm -f "$testlog"
rc=0
meson test -C "$dir" "${test_args[@]}" || rc=$?

if (( coverage )); then
  echo "== coverage (gcovr) =="
  mkdir -p "$dir/coverage"
  if ! gcovr --root . --object-directory "$dir" \
         --exclude 'tests/' --exclude '.*\.capnp\.(c\+\+|h)$' --exclude 'build-.*/' \
         --print-summary --html-details "$dir/coverage/index.html" 2>"$dir/gcovr.err"; then
    echo "test.sh: gcovr failed:" >&2
    tail -n 20 "$dir/gcovr.err" >&2
  fi
  if [[ -f "$dir/coverage/index.html" ]]; then echo "coverage report: $dir/coverage/index.html"; fi
fi

read -r passed failed skipped < <(python3 - "$testlog" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line).get("result", "")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
except FileNotFoundError:
    pass
print(passed, failed, skipped)
PY
)
if (( rc != 0 && failed == 0 )); then
  echo "test.sh: meson test exited with status $rc" >&2
  failed=1
fi
summary_and_exit "$passed" "$failed" "$skipped"

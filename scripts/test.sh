#!/usr/bin/env bash
# test.sh - THE test command: installs the packages, then builds and runs every test twice:
#   1. build/       normal build (RelWithDebInfo, Ninja), ctest
#   2. build-asan/  ASan + UBSan build (-DFOUNDRY_SANITIZE=ON, -O0 but the router -O1, no benchmarks), ctest
# Exits non-zero if any build or test failed; ends with a summary and a
# "total: N passed, M failed" line.
#
#   scripts/test.sh                 # everything (what CI runs)
#   scripts/test.sh --no-asan       # only the normal build
#   scripts/test.sh --asan-only     # only the sanitizer build
#   scripts/test.sh -R Route        # extra arguments go to ctest (here: a name filter)
#
# Environment: JOBS (build and ctest parallelism, default 2), CTEST_TIMEOUT (seconds per test
# without its own TIMEOUT property, default 300; integration tests set 120 in CMake),
# CC/CXX (compiler, default the system's c++).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

NORMAL=1 ASAN=1 CTEST_ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --no-asan) ASAN=0;;
    --asan-only) NORMAL=0;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) CTEST_ARGS+=("$1");;
  esac
  shift
done
JOBS=${JOBS:-2}
# ccache: paths relative to the checkout and no working directory in the hash, so a fresh
# clone elsewhere (CI) reuses what an earlier build of the same sources on this machine cached.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
CTEST_TIMEOUT=${CTEST_TIMEOUT:-300}

# Sanitizers: stop at the first error, report leaks. LeakSanitizer needs ptrace-like access to
# the process's threads; it works as root here (checked on Debian 12 with a deliberate leak).
# Values already set by the caller win.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:strict_init_order=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-}

"$ROOT/scripts/install-deps.sh" || { echo "test.sh: installing packages failed" >&2; exit 1; }

SUMMARY=()
TOTAL_PASSED=0 TOTAL_FAILED=0 FAILED_ANY=0
LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/foundry-test.XXXXXX")
trap 'rm -rf "$LOGDIR"' EXIT

if [ -t 1 ]; then BOLD=$'\033[1m' NORM=$'\033[0m'; else BOLD="" NORM=""; fi
banner() { printf '\n%s===== %s =====%s\n' "$BOLD" "$*" "$NORM"; }

# run_suite NAME BUILD_DIR CMAKE_ARGS...: configure, build, ctest; records a summary line.
run_suite() {
  local name=$1 dir=$2; shift 2
  local start=$SECONDS log="$LOGDIR/$name.ctest"
  banner "$name: configure + build ($dir)"
  if ! cmake -S "$ROOT" -B "$ROOT/$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@"; then
    SUMMARY+=("$(printf '%-7s %-10s configure FAILED' "$name" "$dir")"); FAILED_ANY=1; return
  fi
  if ! cmake --build "$ROOT/$dir" -j "$JOBS"; then
    SUMMARY+=("$(printf '%-7s %-10s build FAILED (%ds)' "$name" "$dir" $((SECONDS - start)))")
    FAILED_ANY=1; return
  fi
  banner "$name: ctest ($dir)"
  local rc=0
  ctest --test-dir "$ROOT/$dir" --output-on-failure -j "$JOBS" --timeout "$CTEST_TIMEOUT" \
    --no-tests=error ${CTEST_ARGS[@]+"${CTEST_ARGS[@]}"} 2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 57" (ctest's closing line)
  local passed=0 failed=0 total line
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
  if [ -n "$line" ]; then
    failed=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<< "$line")
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<< "$line")
    passed=$((total - failed))
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + passed)); TOTAL_FAILED=$((TOTAL_FAILED + failed))
  if [ $rc -ne 0 ] || [ -z "$line" ]; then FAILED_ANY=1; fi
  SUMMARY+=("$(printf '%-7s %-10s %s: %d passed, %d failed (%ds)' "$name" "$dir" \
    "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$passed" "$failed" $((SECONDS - start)))")
}

# Debug info: line tables only (-g1). Full -g made GCC take ~40 % longer on our nlohmann- and
# gtest-heavy files and adds nothing a test failure needs (stack traces keep file:line).
# The sanitizer build compiles at -O0 (router_core alone keeps -O1, router/CMakeLists.txt):
# under ASan+UBSan, -O1 took twice as long on our JSON-heavy files (tests/unit/control/api/
# api_test.cc: 35 s vs 16 s), the sanitizer build dominated CI (31 of 68 minutes), and the
# checks ASan and UBSan make are the same at either level.
[ $NORMAL = 1 ] && run_suite normal build "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"
[ $ASAN = 1 ] && run_suite asan build-asan -DFOUNDRY_SANITIZE=ON -DFOUNDRY_BENCH=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -g1 -DNDEBUG"

banner "summary"
printf '%s\n' "${SUMMARY[@]}"
[ $FAILED_ANY -eq 0 ] && echo "test.sh: all passed" || echo "test.sh: FAILED"
echo "total: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
exit $FAILED_ANY

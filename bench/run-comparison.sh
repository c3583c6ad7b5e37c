#!/usr/bin/env bash
# Backend comparison: the same encrypted MNIST CryptoNet batch on every available backend (or the
# ones named with --backends), with per-layer and per-stage times, throughput, speedup over cpu and
# host-device transfer times; writes comparison.json, comparison.md and per-layer.png.
#   bench/run-comparison.sh                 # quick: INSECURE toy n = 2048, about a minute per backend
#   bench/run-comparison.sh full            # n = 8192, 128-bit, one batch of 8192 images per backend
#   bench/run-comparison.sh quick --backends cpu --out /tmp/cmp
#   THREADS=2 JAVA_OPTS="-Xmx12g" bench/run-comparison.sh full
# Environment: JAVA_HOME picks the JDK; THREADS sets -Dcryptonets.threads; JAVA_OPTS replaces
# "-Xmx8g -XX:+UseParallelGC -Xmn512m". Extra arguments go to org.cryptonets.bench.BackendComparison (--help lists them).
set -euo pipefail
source "$(dirname "$0")/run-lib.sh"
profile="quick"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  profile="$1"
  shift
fi
case "$profile" in
  quick|full) ;;
  *) echo "usage: bench/run-comparison.sh [quick|full] [options]   (got '$profile')" >&2; exit 2 ;;
esac
build_if_needed >&2
cd "$root"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$here/target/pocl-cache}"
mkdir -p "$POCL_CACHE_DIR"
props=()
[ -n "${THREADS:-}" ] && props+=("-Dcryptonets.threads=$THREADS")
# Without --out, the report goes to bench/results/comparison-PROFILE-STAMP/ and its Markdown is
# copied to bench/results/latest-comparison-PROFILE.md (like the other latest-*.md, meant to be committed).
out=""
case " $* " in
  *" --out "*|*" --out="*) ;;
  *) out="$here/results/comparison-$profile-$(date -u +%Y%m%dT%H%M%SZ)"; set -- --out "$out" "$@" ;;
esac
rc=0
# shellcheck disable=SC2086 # JAVA_OPTS is a list of words on purpose
"$java" --add-modules jdk.incubator.vector ${JAVA_OPTS:--Xmx8g -XX:+UseParallelGC -Xmn512m} "${props[@]}" -cp "$jar" \
  org.cryptonets.bench.BackendComparison --profile "$profile" "$@" || rc=$?
if [ "$rc" = 0 ] && [ -n "$out" ] && [ -f "$out/comparison.md" ]; then
  cp "$out/comparison.md" "$here/results/latest-comparison-$profile.md"
  echo "copied to $here/results/latest-comparison-$profile.md"
fi
exit "$rc"

#!/usr/bin/env bash
# Full JMH profile: n = 8192 and 16384 at their largest 128-bit-secure moduli, every benchmark, two
# forks with enough warmup for C2 to finish on the Vector API kernels. Roughly 45 minutes per
# thread count on 2 cores; the n = 16384 layer needs a 12 GB heap.
#   bench/run-full.sh [extra JMH arguments]
#   THREADS=1 bench/run-full.sh
#   JMH_OPTS="-f 1 -wi 4 -i 5 -w 2s -r 2s" bench/run-full.sh   # replaces the defaults
set -euo pipefail
source "$(dirname "$0")/run-lib.sh"
# shellcheck disable=SC2086 # JMH_OPTS is a list of words on purpose
run_profile full 'org\.cryptonets\.bench\.(NttBench|BfvBench|EngineBench|LayerBench)\.' \
  -- ${JMH_OPTS:--f 2 -wi 4 -i 5 -w 2s -r 2s} -- "$@"

#!/usr/bin/env bash
# Quick JMH profile (a few minutes on 2 cores): n = 8192 with the 217-bit modulus only, one short
# fork per benchmark. Good for spotting large regressions; 1 s of warmup does not always reach C2
# steady state for the Vector API kernels on a loaded machine, so publish numbers from run-full.sh.
#   bench/run-quick.sh [extra JMH arguments, e.g. -p backend=opencl]
#   THREADS=1 JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 bench/run-quick.sh
#   JMH_OPTS="-f 1 -wi 5 -i 3 -w 2s -r 1s" bench/run-quick.sh   # steadier, replaces the defaults
set -euo pipefail
source "$(dirname "$0")/run-lib.sh"
# shellcheck disable=SC2086 # JMH_OPTS is a list of words on purpose
run_profile quick 'org\.cryptonets\.bench\.(NttBench|BfvBench|EngineBench|LayerBench)\.' \
  -- ${JMH_OPTS:--f 1 -wi 1 -i 2 -w 1s -r 1s} -p n=8192 -e 'BfvBench\.multiply$' -- "$@"

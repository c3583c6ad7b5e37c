# Shared by run-quick.sh and run-full.sh (sourced, not run): builds the JMH jar when it is missing
# or older than the sources, runs one JMH pass per thread count, and writes JSON, logs and a
# Markdown report under bench/results/.
#
# Environment: JAVA_HOME picks the JDK (the forked JVMs use the same one); THREADS is the list of
# cryptonets.threads values to run (default "1 2": the per-core table, then both cores);
# JMH_OPTS replaces the profile's forks, iterations and times (JMH rejects repeated options).

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
jar="$here/target/benchmarks.jar"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
threads_list="${THREADS:-1 2}"

build_if_needed() {
  local stale
  stale=""
  if [ -f "$jar" ]; then
    # Every module the jar holds (the comparison runner brings the app and both backends).
    stale="$(find "$here/src/main" "$here/pom.xml" "$root/pom.xml" "$root/engine-api/src/main" "$root/backend-cpu/src/main" "$root/kernels/src/main" \
      "$root/backend-opencl/src/main" "$root/bfv/src/main" "$root/cryptonet/src/main" "$root/app/src/main" -newer "$jar" -type f -print -quit 2>/dev/null || true)"
    [ -z "$stale" ] && return 0
    echo "rebuilding $jar ($stale is newer)" >&2
  else
    echo "building $jar" >&2
  fi
  # Tests are skipped: this builds a measuring tool, CI runs the tests.
  if grep -q '<module>bench</module>' "$root/pom.xml"; then
    (cd "$root" && mvn -q -B package -Dmaven.test.skip=true -pl bench -am)
  else
    (cd "$root" && mvn -q -B install -N && mvn -q -B install -Dmaven.test.skip=true -pl engine-api,backend-cpu,kernels,backend-opencl,bfv,cryptonet,app \
      && mvn -q -B -f bench/pom.xml package -Dmaven.test.skip=true)
  fi
}

# run_profile NAME INCLUDE_REGEX -- JMH_OPTION... -- EXTRA_ARGS...
run_profile() {
  local profile="$1" include="$2"
  shift 2
  [ "$1" = "--" ] && shift
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  build_if_needed
  local jdk stamp cpu cores out
  jdk="$("$java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  cpu="$(lscpu 2>/dev/null | sed -n '0,/^Model name: */s///p')"
  cores="$(nproc)"
  out="$here/results"
  mkdir -p "$out"
  local notes=() jsons=()
  notes+=(--note "Machine: ${cpu:-unknown CPU}, $cores cores$(grep -q avx512f /proc/cpuinfo 2>/dev/null && echo ', AVX-512'); $(uname -sr). Profile: $profile (JMH ${opts[*]}${*:+ $*})")
  for t in $threads_list; do
    local base="$out/$profile-jdk$jdk-t$t-$stamp"
    local before after
    before="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    # The common fork-join pool runs the host-side sampling of encryption: give it t - 1 workers
    # (the caller is the t-th), so a 1-thread run really uses one core.
    "$java" -jar "$jar" "$include" "${opts[@]}" \
      -jvmArgsPrepend "-Dcryptonets.threads=$t -Djava.util.concurrent.ForkJoinPool.common.parallelism=$((t - 1))" \
      -rf json -rff "$base.json" "$@" 2>&1 | tee "$base.log"
    after="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
    notes+=(--note "cryptonets.threads=$t: load average $before before, $after after (other processes on the machine inflate times).")
    [ -s "$base.json" ] && jsons+=("$base.json")
  done
  if [ ${#jsons[@]} -eq 0 ]; then
    echo "no results were written" >&2
    return 1
  fi
  local md="$out/$profile-jdk$jdk-$stamp.md"
  "$java" -cp "$jar" org.cryptonets.bench.BenchReport --title "CryptoNets JMH, $profile profile, JDK $jdk" "${notes[@]}" -o "$md" "${jsons[@]}"
  cp "$md" "$out/latest-$profile-jdk$jdk.md"
  echo
  cat "$md"
  echo "report: $md (copied to $out/latest-$profile-jdk$jdk.md)"
}

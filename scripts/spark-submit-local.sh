#!/usr/bin/env bash
# The README's spark-submit path, for real, without a Spark distribution: spark-submit is a shell
# script around org.apache.spark.deploy.SparkSubmit (in spark-core), so this runs that class on the
# class path a Spark 4 cluster supplies (resolved by Maven from ~/.m2, offline), with the shaded
# spark/target/cryptonets-spark.jar as the application jar, in local[2]. Then it checks every
# result against `./cryptonets infer` on the same batch (cmp, byte for byte) and decrypts it
# (`./cryptonets decrypt`: 0 mismatching logits, decryption check passed). keygen, encrypt, infer
# and decrypt are the launcher's commands, run from a copy of its jar (see below).
#
# Usage: scripts/spark-submit-local.sh [WORK_DIR]       (default spark/target/spark-submit-local)
# Environment: IMAGES (images per batch, default 2000; a batch costs the same whatever the number),
#   SCHEME (bgv|bfv, default: keygen's default), MODEL (.onnx or train file, default the committed
#   MNIST model) with DATA (its data set folder, e.g. MODEL=models/fashion-cryptonet.onnx
#   DATA=/usr/share/datasets/fashion-mnist), SPARK_MASTER (default local[2]),
#   SPARK_JAVA_OPTS (driver JVM heap and collector, default -Xmx8g -XX:+UseParallelGC -Xmn512m),
#   CRYPTONETS_JAVA_OPTS (the launcher's, for keygen/encrypt/infer/decrypt).
# Needs: JDK 17+, Maven, ~/.m2 holding spark-core and its dependencies (the spark module resolves them).
# Exit code 0 when every check passed. Everything it writes is under WORK_DIR (replaced).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
work="$(readlink -m "${1:-$here/spark/target/spark-submit-local}")"
images="${IMAGES:-2000}"
master="${SPARK_MASTER:-local[2]}"
model=(${MODEL:+--model "$(readlink -f "$MODEL")"})
data=(${DATA:+--data "$(readlink -f "$DATA")"})
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
jar="$here/spark/target/cryptonets-spark.jar"
mvn_="mvn -q -B -o -Dstyle.color=never"

t0=$(date +%s.%N)
step() { printf '\n== [%6.1f s] %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$*"; }
timed() { # timed LABEL command...: runs it, records "LABEL SECONDS MAX_RSS_KB" in $work/times.txt
  local label="$1"; shift
  local s; s=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$work/.rss" "$@"
  local rc=$?
  printf '%s %.1f %s\n' "$label" "$(echo "$(date +%s.%N) - $s" | bc)" "$(cat "$work/.rss")" >>"$work/times.txt"
  return $rc
}

rm -rf "$work"
mkdir -p "$work/keys" "$work/batches" "$work/spark-results" "$work/infer-results" "$work/cluster"
: >"$work/times.txt"

# 1. The shaded jar. With the other modules already in ~/.m2 (mvn install), `-pl spark` builds
#    only this module (12-30 s here); otherwise `-pl spark -am` builds what it needs too (slower).
step "application jar"
if [ ! -f "$jar" ]; then
  if ls ~/.m2/repository/org/cryptonets/{engine-api,bfv,cryptonet,onnx,inference,backend-cpu,kernels,backend-opencl}/0.1.0-SNAPSHOT/*.jar >/dev/null 2>&1; then
    echo "building $jar: $mvn_ install -DskipTests -pl spark"
    $mvn_ install -DskipTests -pl spark
  else
    echo "building $jar and the modules it needs: $mvn_ install -DskipTests -pl spark -am"
    $mvn_ install -DskipTests -pl spark -am
  fi
fi
# Other builds (the ./cryptonets launcher rebuilds the whole project whenever any source is newer
# than its jar) may replace target/ jars mid-run: the run uses copies taken now.
unzip -tq "$jar" >/dev/null
cp "$jar" "$work/cryptonets-spark.jar"
jar="$work/cryptonets-spark.jar"
ls -l "$jar"

# keygen, encrypt, infer and decrypt: the application jar, run as the launcher runs it (same JVM
# options), from a copy, so that one build serves the whole run and its comparisons.
app_jar="$here/app/target/cryptonets.jar"
if [ ! -f "$app_jar" ]; then
  ./cryptonets --version >&2          # the launcher builds it
fi
unzip -tq "$app_jar" >/dev/null
cp "$app_jar" "$work/cryptonets.jar"
# shellcheck disable=SC2206
cryptonets=("$java_bin" --add-modules jdk.incubator.vector ${CRYPTONETS_JAVA_OPTS:--Xmx6g -XX:+UseParallelGC -Xmn512m} -jar "$work/cryptonets.jar")

# 2. What the cluster supplies: Spark (spark-core and what it pulls in: Scala, the Hadoop client,
#    Jackson, Netty, commons-*, ...), resolved as Spark resolves it, not as the spark module does.
#    Resolving the spark module itself would not do: `-DincludeScope=provided` drops the jars that
#    Spark needs but Maven mediated to compile scope because our modules use them too (commons-io,
#    -lang3, -codec, -compress, protobuf-java), and without it the class path holds our own
#    unshaded jars and relocated libraries, which would hide whatever the shaded jar lacks. So a
#    throwaway pom with spark-core alone, and Jackson pinned to Spark's (as spark/pom.xml does and
#    Spark's distribution ships). Versions come from spark/pom.xml and the parent's pluginManagement.
step "Spark's class path"
prop() { sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" spark/pom.xml | head -1; }
spark_version=$(prop spark.version)
scala_binary=$(prop scala.binary.version)
jackson_version=$(prop spark.jackson.version)
dep_plugin=$(grep -A1 '<artifactId>maven-dependency-plugin</artifactId>' pom.xml | sed -n 's:.*<version>\(.*\)</version>.*:\1:p' | head -1)
: "${dep_plugin:?no maven-dependency-plugin version in the pluginManagement of pom.xml}"
cat >"$work/cluster/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local</groupId><artifactId>spark-cluster-classpath</artifactId><version>1</version>
  <dependencyManagement><dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-core</artifactId><version>$jackson_version</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId><version>$jackson_version</version></dependency>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-annotations</artifactId><version>$jackson_version</version></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-core_$scala_binary</artifactId><version>$spark_version</version></dependency>
  </dependencies>
  <build><plugins><plugin>
    <groupId>org.apache.maven.plugins</groupId><artifactId>maven-dependency-plugin</artifactId><version>$dep_plugin</version>
  </plugin></plugins></build>
</project>
EOF
(cd "$work/cluster" && $mvn_ dependency:build-classpath -Dmdep.outputFile="$work/spark-classpath.txt")
spark_cp=$(cat "$work/spark-classpath.txt")
echo "Spark $spark_version (Scala $scala_binary, Jackson $jackson_version): $(tr ':' '\n' <"$work/spark-classpath.txt" | wc -l) jars"
if tr ':' '\n' <"$work/spark-classpath.txt" | grep -q '/org/cryptonets/'; then
  echo "error: the cluster class path holds this project's jars" >&2; exit 1
fi

# The JVM flags spark-submit's launcher adds by itself (Spark's JavaModuleOptions), kept in
# spark/pom.xml as surefire.extraArgs, and the Vector API. In client mode (local) the driver is
# this JVM, so they go on its command line; spark.driver.extraJavaOptions only takes effect when
# the launcher starts the JVM, and is passed as the README shows.
module_opts=$(prop surefire.extraArgs)
vector="--add-modules jdk.incubator.vector"

# 3. Real batches: keys for the committed model, two batches of other test images.
step "keygen, encrypt"
timed keygen "${cryptonets[@]}" keygen --out "$work/keys" "${model[@]}" "${data[@]}" ${SCHEME:+--scheme "$SCHEME"} >"$work/keygen.log"
tail -n 3 "$work/keygen.log"
timed encrypt-a "${cryptonets[@]}" encrypt --keys "$work/keys" "${model[@]}" "${data[@]}" --first 0 --images "$images" --out "$work/batches/batch-a.bin" >"$work/encrypt-a.log"
timed encrypt-b "${cryptonets[@]}" encrypt --keys "$work/keys" "${model[@]}" "${data[@]}" --first 8000 --images "$images" --out "$work/batches/batch-b.bin" >"$work/encrypt-b.log"
ls -l "$work/batches"

# 4. spark-submit, as in the README, on local[2].
step "SparkSubmit --master $master"
# shellcheck disable=SC2086
submit=("$java_bin" $vector $module_opts ${SPARK_JAVA_OPTS:--Xmx8g -XX:+UseParallelGC -Xmn512m} -cp "$spark_cp"
  org.apache.spark.deploy.SparkSubmit --class org.cryptonets.spark.SparkInferenceCommand
  --master "$master" --conf spark.ui.enabled=false
  --conf "spark.executor.extraJavaOptions=$vector -XX:+UseParallelGC -Dcryptonets.backend=cpu"
  --conf "spark.driver.extraJavaOptions=$vector"
  "$jar" --keys "$work/keys/evaluation.keys" "${model[@]}" --in "$work/batches" --out "$work/spark-results" --summary "$work/summary.json")
printf '%q ' "${submit[@]}" | sed "s|$(printf '%q' "$spark_cp")|\"\$(cat $work/spark-classpath.txt)\"|" >"$work/submit-command.txt"
echo >>"$work/submit-command.txt"
set +e
SPARK_LOCAL_IP=127.0.0.1 timed spark-submit timeout 1200 "${submit[@]}" >"$work/spark.log" 2>"$work/spark.err"
rc=$?
set -e
grep -v '^\s*$' "$work/spark.log" | tail -n 12
if [ $rc -ne 0 ]; then
  echo "error: SparkSubmit exited $rc; last lines of $work/spark.err:" >&2
  tail -n 40 "$work/spark.err" >&2
  exit 1
fi

# 5. The same batches through `infer`, byte for byte; then decrypt the Spark results.
fail=0
for b in batch-a batch-b; do
  step "$b: infer, cmp, decrypt"
  timed "infer-$b" "${cryptonets[@]}" infer --keys "$work/keys/evaluation.keys" "${model[@]}" --in "$work/batches/$b.bin" --out "$work/infer-results/$b.bin.results" >"$work/infer-$b.log"
  if cmp "$work/spark-results/$b.bin.results" "$work/infer-results/$b.bin.results"; then
    echo "$b: Spark's result is byte for byte infer's ($(stat -c %s "$work/spark-results/$b.bin.results") bytes)"
  else
    echo "$b: FAILED: Spark's result differs from infer's" >&2; fail=1
  fi
  set +e
  timed "decrypt-$b" "${cryptonets[@]}" decrypt --keys "$work/keys" "${model[@]}" "${data[@]}" --in "$work/spark-results/$b.bin.results" >"$work/decrypt-$b.log" 2>&1
  drc=$?
  set -e
  grep -E 'accuracy|decryption check|noise budget' "$work/decrypt-$b.log" || true
  exact=$(sed -n 's/.*in the clear: \([0-9]*\) of \([0-9]*\)$/\1 \2/p' "$work/decrypt-$b.log")
  if [ $drc -ne 0 ] || ! grep -q 'decryption check passed' "$work/decrypt-$b.log" || [ -z "$exact" ] || [ "${exact% *}" != "${exact#* }" ] || [ "${exact% *}" != "$images" ]; then
    echo "$b: FAILED: decrypt exited $drc or logits differ from the clear integer network ($exact)" >&2; fail=1
  else
    echo "$b: decrypted: $images of $images images' logits equal the clear integer network (0 mismatches), check passed"
  fi
done

step "done"
echo "times (seconds, max RSS KB):"; sed 's/^/  /' "$work/times.txt"
echo "SparkSubmit command: $work/submit-command.txt; summary: $work/summary.json"
[ $fail -eq 0 ] && echo "ALL CHECKS PASSED" || echo "SOME CHECKS FAILED" >&2
exit $fail

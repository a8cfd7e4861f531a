#!/bin/sh
# A stand-in for `fleetbench-harness run` that costs the host nothing: it keeps a status file
# and a log going for min_duration seconds, then leaves the files a quick run leaves, at their
# usual sizes. bench-controller measures what watching and collecting cost the controller, and
# that does not depend on what the harness computes.
out=; seconds=10
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift ;;
    --loadgen-setting) case "$2" in min_duration=*) seconds=$(( ${2#min_duration=} / 1000 )) ;; esac; shift ;;
  esac
  shift
done
cd "$out" || exit 2
status() {
  printf '{"phase": "%s", "samples_issued": 64, "samples_completed": %d, "tokens_generated": %d, "elapsed_s": %d, "tokens_per_second": 1000.0, "pid": %d, "updated_at": "2026-01-01T00:00:00+00:00"}\n' \
    "$1" "$2" "$(( $2 * 128 ))" "$2" $$ > .fleetbench_status.json.tmp && mv .fleetbench_status.json.tmp fleetbench_status.json
}
i=0
while [ "$i" -lt "$seconds" ]; do
  status running "$i"
  echo "INFO step $i of $seconds" >> harness.log
  sleep 1
  i=$((i + 1))
done
blob() { head -c "$2" /dev/urandom | base64 > "$1"; }
blob mlperf_log_detail.txt 150000
blob mlperf_log_summary.txt 3000
blob fleetbench_run.json 12000
blob telemetry.json 30000
blob harness.log 20000
echo '[]' > mlperf_log_accuracy.json
: > mlperf_log_trace.json
status done "$seconds"

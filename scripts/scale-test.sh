#!/usr/bin/env bash
# The end-to-end check at MovieLens-20M scale (opt-in: not part of scripts/test.sh; it takes tens of minutes).
#
#   swift build -c release --product seqtwins && scripts/scale-test.sh
#
# Enqueues an experiment on the synthetic MovieLens-20M-sized dataset (138,493 users, 26,744 items, mean length 144:
# about 19.9M interactions) with one method (barlow_twins, 1 epoch), one seed and the linear probe at 100% labels
# on the four tasks of Jobs/ml-20m.json, into a fresh database `seqtwins_scale` of the private cluster
# (scripts/pg.sh), and runs it with two real `seqtwins worker` processes (one thread each, as `--concurrency 2`
# would give them on 2 cores). Passes (exit 0) when every job succeeded; prints the wall time, each worker's peak RSS
# (`/usr/bin/time -v`), the peak of their summed RSS (sampled every second), the job timeline and the results.
# Environment: SEQTWINS_BIN (default .build/release/seqtwins), SCALE_USERS / SCALE_ITEMS / SCALE_MEAN_LENGTH (a
# smaller dataset to try the script out), SCALE_TIMEOUT (seconds for `seqtwins wait`, default 5400),
# SCALE_KEEP_LOGS (a folder for the worker logs, default a temporary folder that is printed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${SEQTWINS_BIN:-$root/.build/release/seqtwins}"
[ -x "$bin" ] || { echo "scale-test: $bin is missing; build it: swift build -c release --product seqtwins" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "scale-test: /usr/bin/time is missing (apt-get install time)" >&2; exit 2; }
users="${SCALE_USERS:-138493}"
items="${SCALE_ITEMS:-26744}"
mean="${SCALE_MEAN_LENGTH:-144}"
timeout="${SCALE_TIMEOUT:-5400}"
logs="${SCALE_KEEP_LOGS:-$(mktemp -d /tmp/seqtwins-scale.XXXXXX)}"
mkdir -p "$logs"

base="$("$root/scripts/pg.sh" start)"
db=seqtwins_scale
psql "$base" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
export DATABASE_URL="${base/\/postgres\?//$db?}"
"$bin" db migrate >/dev/null

spec="$logs/scale-20m.json"
cat >"$spec" <<EOF
{
  "name": "scale-20m",
  "description": "End-to-end check at MovieLens-20M scale: one method, one seed, one epoch, the linear probe.",
  "dataset": {"kind": "synthetic",
              "synthetic": {"users": $users, "items": $items, "mean_sequence_length": $mean, "seed": 0}},
  "methods": [{"name": "barlow_twins", "epochs": 1}],
  "tasks": ["next_category", "future_top_category", "future_categories", "next_rating_high"],
  "protocols": ["linear_probe"],
  "label_fractions": [1],
  "seeds": 1
}
EOF
"$bin" enqueue "$spec" | tee "$logs/enqueue.txt"
experiment="$(tail -1 "$logs/enqueue.txt" | awk '{print $2}')"
echo "scale-test: experiment $experiment; logs in $logs; machine: $(nproc) CPUs, $(free -g | awk '/Mem:/ {print $2}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg)"

start=$(date +%s)
pids=()
for n in 1 2; do
    SEQTWINS_THREADS=1 /usr/bin/time -v -o "$logs/worker$n.time" \
        "$bin" worker --log-level info 2>"$logs/worker$n.log" &
    pids+=($!)
done
# The workers are the children of the `time` processes; sample their summed RSS every second.
peak_sum=0
sample() {
    local total=0 kib
    for p in "${pids[@]}"; do
        for child in $(pgrep -P "$p" || true); do
            kib=$(awk '/^VmRSS:/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
            total=$(( total + ${kib:-0} ))
        done
    done
    echo "$total"
}
(
    peak=0
    while :; do
        now=$(sample)
        if [ "$now" -gt "$peak" ]; then peak=$now; echo "$peak" >"$logs/peak-sum-kib"; fi
        sleep 1
    done
) &
sampler=$!

status=0
"$bin" wait "$experiment" --timeout "$timeout" >"$logs/wait.txt" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))
kill "$sampler" 2>/dev/null || true
for p in "${pids[@]}"; do
    for child in $(pgrep -P "$p" || true); do kill -TERM "$child" 2>/dev/null || true; done
done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done

echo
echo "scale-test: wait exited $status after $elapsed s (wall time from the workers' start)"
for n in 1 2; do
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$logs/worker$n.time")
    cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$logs/worker$n.time")
    echo "scale-test: worker $n peak RSS $(( rss / 1024 )) MiB, CPU $cpu s"
done
echo "scale-test: peak of the two workers' summed RSS (1 s samples) $(( $(cat "$logs/peak-sum-kib" 2>/dev/null || echo 0) / 1024 )) MiB"
psql "$DATABASE_URL" -P pager=off -c "
    SELECT id, kind, state, attempts, round(extract(epoch FROM finished_at - started_at)::numeric, 1) AS seconds,
           lease_owner
    FROM seqtwins.jobs WHERE experiment_id = $experiment ORDER BY id"
psql "$DATABASE_URL" -P pager=off -c "
    SELECT r.series, e.task, e.protocol, e.label_fraction, e.labelled_n, e.test_n, round(e.accuracy::numeric, 4) AS accuracy,
           round(e.majority_accuracy::numeric, 4) AS majority
    FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
    WHERE r.experiment_id = $experiment ORDER BY e.task"
bad=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM seqtwins.jobs WHERE experiment_id = $experiment AND state <> 'succeeded'")
total=$(psql "$DATABASE_URL" -Atc "SELECT count(*) FROM seqtwins.jobs WHERE experiment_id = $experiment")
if [ "$status" -ne 0 ] || [ "$bad" -ne 0 ]; then
    echo "scale-test: FAILED: $bad of $total jobs did not succeed (wait exited $status); see $logs" >&2
    exit 1
fi
echo "scale-test: passed: all $total jobs succeeded"

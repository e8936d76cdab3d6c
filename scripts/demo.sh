#!/usr/bin/env bash
# The demo: from a fresh Debian checkout to a finished experiment in one command.
# Installs what is missing, builds in release mode, starts the private PostgreSQL unless DATABASE_URL is set,
# migrates, enqueues Jobs/demo.json (or the spec given as $1), runs two worker processes until the experiment is
# done (progress on the terminal), prints the report and writes the curves to out/<name>.svg.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
spec="${1:-Jobs/demo.json}"
scripts/bootstrap.sh
echo "demo: building (release)..." >&2
swift build -c release --product seqtwins
bin=.build/release/seqtwins
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL="$(scripts/pg.sh start)"
    export DATABASE_URL
fi
echo "demo: DATABASE_URL=$DATABASE_URL" >&2
"$bin" db migrate
experiment="$("$bin" enqueue "$spec" | tee /dev/stderr | tail -n 1 | awk '{print $2}')"
mkdir -p out
"$bin" worker --concurrency 2 --log-level warning 2>out/demo-workers.log &
workers=$!
trap 'kill -TERM "$workers" 2>/dev/null || true; wait "$workers" 2>/dev/null || true' EXIT
started=$(date +%s)
status=0
"$bin" wait "$experiment" || status=$?
echo "demo: experiment $experiment finished in $(( $(date +%s) - started )) s (worker log: out/demo-workers.log)" >&2
name="$(basename "$spec" .json)"
"$bin" report "$experiment" --svg "out/$name.svg"
exit "$status"

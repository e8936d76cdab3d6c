#!/usr/bin/env bash
# A private PostgreSQL cluster for this checkout: initdb + pg_ctl in .pg/ under the project, Unix socket only.
#   scripts/pg.sh start    start it (creating it on first use) and print its DATABASE_URL
#   scripts/pg.sh stop     stop it
#   scripts/pg.sh restart  restart it (tests use this to check that workers reconnect)
#   scripts/pg.sh url      print the DATABASE_URL
#   scripts/pg.sh status   say whether it runs (exit 3 when stopped)
# Environment: SEQTWINS_PG_DIR (default <project>/.pg), SEQTWINS_PG_PORT (default 5432; names the socket file),
# SEQTWINS_PG_TCP=1 also listens on 127.0.0.1. initdb and pg_ctl refuse root: as root they run as `postgres`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${SEQTWINS_PG_DIR:-$root/.pg}"
port="${SEQTWINS_PG_PORT:-5432}"
fallback="/tmp/seqtwins-pg-$(printf '%s' "$dir" | cksum | cut -d' ' -f1)"
# As root the cluster belongs to `postgres`, which must be able to reach the folder; a checkout under a private
# home folder is not reachable, so the cluster then lives in /tmp (the same folder every time for this checkout).
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(dirname "$dir")" 2>/dev/null; then
    dir="$fallback"
fi
data="$dir/data"
sock="$dir/sock"
# A Unix socket path is limited to 107 bytes; fall back to a short folder when the project path is deep.
if [ $(( ${#sock} + 20 )) -gt 100 ]; then
    sock="$fallback-sock"
fi

bindir="$(pg_config --bindir 2>/dev/null || true)"
for candidate in "$bindir" /usr/lib/postgresql/*/bin; do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then bindir="$candidate"; break; fi
done
[ -x "$bindir/initdb" ] || { echo "pg.sh: initdb not found: install postgresql (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

url() { printf 'postgresql://postgres@/postgres?host=%s&port=%s\n' "$sock" "$port"; }

running() { [ -f "$data/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; }

# The postmaster inherits every open descriptor of this script; a caller waiting for this script's output pipes to
# close (Foundation's Process, a test harness) would wait for the server's lifetime. Close all but 0-2 first.
close_inherited_descriptors() {
    local fd
    for fd in /proc/$$/fd/*; do
        fd="${fd##*/}"
        if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec ${fd}>&-" 2>/dev/null || true; fi
    done
}

start() {
    close_inherited_descriptors
    mkdir -p "$dir" "$sock"
    chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir" "$sock"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! running; then
        local listen="''"
        if [ "${SEQTWINS_PG_TCP:-0}" = 1 ]; then listen="127.0.0.1"; fi
        # fsync off: a throwaway development cluster trades durability for speed. Never use these settings in production.
        as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
            -o "-k $sock -p $port -c listen_addresses=$listen -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            </dev/null >"$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" >&2; tail -20 "$dir/server.log" >&2; exit 1; }
    fi
}

case "${1:-}" in
start) start; url ;;
stop) if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
restart)
    if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
    start; url
    ;;
url) url ;;
status) if running; then echo "running: $(url)"; else echo "stopped"; exit 3; fi ;;
*) echo "usage: scripts/pg.sh start|stop|restart|url|status" >&2; exit 2 ;;
esac

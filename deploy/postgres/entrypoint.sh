#!/bin/sh
# Entry point of the seqtwins-postgres image; runs as the `postgres` user.
#
# On first start, when $PGDATA holds no cluster, it creates one and, in it:
#   - the superuser `postgres` with $POSTGRES_PASSWORD (required),
#   - the schema owner $SEQTWINS_OWNER (default seqtwins) with $SEQTWINS_OWNER_PASSWORD (required): it runs
#     `seqtwins db migrate` and owns what the migrations create; no CREATEROLE, no superuser,
#   - the database $SEQTWINS_DB (default seqtwins), owned by it, that only the owner and the three roles below may
#     connect to,
#   - the NOLOGIN group roles seqtwins_worker, seqtwins_submitter and seqtwins_reader (Migrations/0020_roles.sql
#     grants them their privileges; creating roles needs CREATEROLE, which the owner does not get).
# Logins are made later with `seqtwins db create-login` (the compose stack's `setup` service).
# Authentication: peer on the Unix socket inside the container, scram-sha-256 over TCP.
# Then, and on every later start, it runs the server in the foreground: `postgres` plus the command's arguments.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
[ $# -gt 0 ] && shift

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD, the superuser password (see .env.example)}"
    : "${SEQTWINS_OWNER_PASSWORD:?set SEQTWINS_OWNER_PASSWORD, the schema owner password (see .env.example)}"
    owner="${SEQTWINS_OWNER:-seqtwins}"
    database="${SEQTWINS_DB:-seqtwins}"
    pwfile="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
    initdb -D "$PGDATA" -U postgres --pwfile="$pwfile" --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    {
        echo "listen_addresses = '*'"
        echo "password_encryption = 'scram-sha-256'"
    } >>"$PGDATA/postgresql.conf"
    {
        echo "host all all 0.0.0.0/0 scram-sha-256"
        echo "host all all ::/0 scram-sha-256"
    } >>"$PGDATA/pg_hba.conf"
    # During set-up the server listens on a private socket only: pg_isready (the health check) fails until the
    # server below, with everything created, is up.
    setup_socket="$(mktemp -d)"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=$setup_socket" -w start >/dev/null
    psql -h "$setup_socket" -v ON_ERROR_STOP=1 -q -U postgres -d postgres -v owner="$owner" -v database="$database" \
        -v password="$SEQTWINS_OWNER_PASSWORD" <<'SQL'
CREATE ROLE :"owner" LOGIN PASSWORD :'password';
CREATE DATABASE :"database" OWNER :"owner";
CREATE ROLE seqtwins_worker NOLOGIN;
CREATE ROLE seqtwins_submitter NOLOGIN;
CREATE ROLE seqtwins_reader NOLOGIN;
REVOKE CONNECT ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO seqtwins_worker, seqtwins_submitter, seqtwins_reader;
SQL
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
    rmdir "$setup_socket"
    echo "seqtwins-postgres: created the cluster, role $owner and database $database" >&2
fi
exec postgres -D "$PGDATA" "$@"

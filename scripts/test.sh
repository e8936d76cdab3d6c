#!/usr/bin/env bash
# The test command: installs missing system packages, starts the private PostgreSQL cluster (unless DATABASE_URL
# is set), and runs every test suite against it. Extra arguments go to `swift test` (e.g. --filter JobQueueTests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/bootstrap.sh
if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL="$(scripts/pg.sh start)"
    export DATABASE_URL
fi
echo "test.sh: DATABASE_URL=$DATABASE_URL" >&2
swift build --build-tests
swift test --skip-build --disable-xctest "$@"

#!/usr/bin/env bash
# A throwaway PostgreSQL for the store tests, on loopback only: installs Debian's server package when it
# is missing (as root), starts a fresh cluster in a temporary folder and prints its SQLAlchemy URL.
#   export NEUROSCAPE_TEST_PG_URL=$(tools/start_postgres.sh)
set -euo pipefail
port="${NEUROSCAPE_PG_PORT:-54329}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=$(mktemp -d /tmp/neuroscape-pg.XXXXXX)
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$dir"
run "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
run "$bin/pg_ctl -D $dir/data -l $dir/log -o \"-h 127.0.0.1 -p $port -k $dir\" -w start" >/dev/null
run "$bin/createdb -h 127.0.0.1 -p $port -U postgres neuroscape_test"
echo "postgresql+psycopg://postgres@127.0.0.1:$port/neuroscape_test"

#!/usr/bin/env bash
# Prints a PostgreSQL URL for the test suite on stdout (the tests make a
# fresh schema per test in it), providing a server when there is none:
#   1. $PARLEY_TEST_DATABASE_URL, when set;
#   2. a server already listening on 127.0.0.1:5432 (trust auth, database
#      "test", as on the development machines);
#   3. otherwise PostgreSQL from Debian's packages, in a throwaway cluster on
#      a loopback port under $TMPDIR, stopped by scripts/test-postgres-stop.sh.
# Exits non-zero when it cannot provide one.
set -euo pipefail

if [[ -n "${PARLEY_TEST_DATABASE_URL:-}" ]]; then
  echo "$PARLEY_TEST_DATABASE_URL"
  exit 0
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PARLEY_TEST_PG_THROWAWAY=1 skips a running server (to test the path below).
if [[ -z "${PARLEY_TEST_PG_THROWAWAY:-}" ]] && listening 5432; then
  echo "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
  exit 0
fi

port=55432
dir="${TMPDIR:-/tmp}/parley-test-pg"
if listening "$port"; then
  echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
  exit 0
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bindir" ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test-postgres: PostgreSQL is not installed and installing it needs root (apt-get install postgresql)" >&2
    exit 1
  fi
  echo "test-postgres: installing PostgreSQL from Debian's packages…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

# initdb refuses to run as root: run the cluster as the postgres user.
runas=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
  runas=(runuser -u postgres --)
fi
rm -rf "$dir"
mkdir -p "$dir"
[[ $(id -u) -eq 0 ]] && chown postgres "$dir"
echo "test-postgres: starting a throwaway cluster on 127.0.0.1:$port in $dir" >&2
"${runas[@]}" "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null
"${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >&2
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"

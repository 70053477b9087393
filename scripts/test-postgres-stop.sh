#!/usr/bin/env bash
# Stops the throwaway cluster scripts/test-postgres.sh may have started.
dir="${TMPDIR:-/tmp}/parley-test-pg"
[[ -d "$dir/data" ]] || exit 0
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
runas=()
[[ $(id -u) -eq 0 ]] && runas=(runuser -u postgres --)
"${runas[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
rm -rf "$dir"

#!/usr/bin/env bash
# JDBC: the JDBC sink (insert and upsert) loading N records of a 10-column struct from a topic into PostgreSQL through
# one silo process with JsonConverter, beside psql's COPY … FROM STDIN of the same rows; the JDBC source reading the
# N-row table in incrementing mode beside psql's COPY … TO STDOUT. Prints rows/s and the ratio to COPY (bench/README.md).
# Usage: bench/run-jdbc.sh [--records N] [--partitions N] [--warmup N] [--sink key=value]... [--source key=value]...
#          [--only sink|source] [--keep]
# Needs dotnet and PostgreSQL 15 in /usr/lib/postgresql/15/bin (initdb, pg_ctl, psql).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'Missing: %s\n' "${missing[@]}" >&2
    exit 2
fi

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Jdbc)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Jdbc/Jdbc.csproj"

# If the bench is itself killed (kill -9, a crash), this trap kills what it left: each process it started is noted
# with its start time, so a reused pid is left alone.
pids="$(mktemp "${TMPDIR:-/tmp}/orleansconnect-jdbc-pids.XXXXXX")"
cleanup() {
    local pid start label dir fields
    while read -r pid start label dir; do
        [ -r "/proc/$pid/stat" ] || continue
        fields="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
        [ "$(echo "$fields" | cut -d' ' -f20)" = "$start" ] && [ "$(echo "$fields" | cut -d' ' -f1)" != Z ] || continue
        echo "run-jdbc.sh: killing the $label the bench left running (pid $pid)" >&2
        if [ "$label" = postgres ]; then
            kill -QUIT "$pid" 2>/dev/null || true # the postmaster's immediate shutdown: it stops its backends too
            for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
            [ "$dir" != - ] && rm -rf "$dir"
        else
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done < "$pids"
    rm -f "$pids"
}
trap cleanup EXIT

setsid dotnet "$bench/Jdbc/bin/Release/net10.0/OrleansConnect.Jdbc.dll" --repo "$repo" --pid-file "$pids" "$@" &
bench_pid=$!
trap 'kill -TERM "$bench_pid" 2>/dev/null || true' INT TERM HUP
while kill -0 "$bench_pid" 2>/dev/null; do wait "$bench_pid" || true; done
status=0
wait "$bench_pid" || status=$?
exit "$status"

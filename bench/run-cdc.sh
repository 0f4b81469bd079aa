#!/usr/bin/env bash
# CDC: one table of N rows (default 1,000,000) snapshotted by the PostgreSQL connector in a silo process, then N
# single-row inserts in transactions of 1 and N in transactions of 100 streamed, with the JsonConverter (schemas on),
# beside pg_recvlogical (pgoutput) reading the same changes from its own slot; then the commit-to-Kafka latency at
# 1,000 changes/s and the silo's RSS (see bench/README.md).
# Usage: bench/run-cdc.sh [--rows N] [--latency-seconds S] [--rate R]
# Linux only (reads /proc). Needs dotnet and PostgreSQL 15 (with pg_recvlogical) in /usr/lib/postgresql/15/bin.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
[ -x /usr/lib/postgresql/15/bin/pg_recvlogical ] || missing+=("pg_recvlogical (Debian: apt-get install postgresql-15)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'Missing: %s\n' "${missing[@]}" >&2
    exit 2
fi

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Cdc)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Cdc/Cdc.csproj"

# The bench kills what it started when it ends, also on Ctrl-C or SIGTERM. If it is itself killed (kill -9, a crash),
# this trap kills what is left: each process it started is noted with its start time, so a reused pid is left alone.
pids="$(mktemp "${TMPDIR:-/tmp}/orleansconnect-cdc-pids.XXXXXX")"
cleanup() {
    local pid start label dir fields
    while read -r pid start label dir; do
        [ -r "/proc/$pid/stat" ] || continue
        # Fields after the command name: 1 is the state (Z: exited, not yet reaped), 20 the start time.
        fields="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
        [ "$(echo "$fields" | cut -d' ' -f20)" = "$start" ] && [ "$(echo "$fields" | cut -d' ' -f1)" != Z ] || continue
        echo "run-cdc.sh: killing the $label the bench left running (pid $pid)" >&2
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

# In its own session, so that Ctrl-C reaches only this script, which passes one SIGTERM on: the bench then stops
# cleanly (a second signal would end it at once).
setsid dotnet "$bench/Cdc/bin/Release/net10.0/OrleansConnect.Cdc.dll" --repo "$repo" --pid-file "$pids" "$@" &
bench_pid=$!
trap 'kill -TERM "$bench_pid" 2>/dev/null || true' INT TERM HUP
# wait returns early when a trapped signal arrives: wait again until the bench has exited, then take its status.
while kill -0 "$bench_pid" 2>/dev/null; do wait "$bench_pid" || true; done
status=0
wait "$bench_pid" || status=$?
exit "$status"

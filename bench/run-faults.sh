#!/usr/bin/env bash
# Faults: each fault of issue 24 against fresh silo processes with FileStream pipelines running through them (a
# FileStreamSource reading a growing file of numbered lines into a topic, a FileStreamSink writing it to a file); prints per
# fault the lines lost and duplicated (and torn), the time until every task ran again and the sinks caught up, and the REST
# answers seen meanwhile (see bench/README.md). The table is also written as faults.md in the work directory.
# Usage: bench/run-faults.sh [--only fault,fault...] [--pipelines N] [--rate LINES_PER_SECOND] [--outage-seconds S]
#          [--poison-seconds S] [--recovery-timeout S] [--set key=value]... [--keep]
# Faults: redis-restart-empty redis-down-kill postgres-down broker-frozen-20s broker-frozen-150s silo-sigstop-15s
#         poison-record embedded-kill9 disk-full-sink rest-storm
# Linux only. Needs dotnet, PostgreSQL 15 in /usr/lib/postgresql/15/bin and redis-server; disk-full-sink needs root (it
# mounts a 4 MiB tmpfs) and is skipped otherwise.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
command -v redis-server >/dev/null || missing+=("redis-server (Debian: apt-get install redis-server)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'Missing: %s\n' "${missing[@]}" >&2
    exit 2
fi

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Faults)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Faults/Faults.csproj"

# The bench kills what it started when it ends, also on Ctrl-C or SIGTERM. If it is itself killed (kill -9, a crash),
# this trap kills what is left: each process it started is noted with its start time, so a reused pid is left alone; a
# tmpfs it mounted is noted as "0 0 mount DIR" and unmounted.
pids="$(mktemp "${TMPDIR:-/tmp}/orleansconnect-faults-pids.XXXXXX")"
cleanup() {
    local pid start label dir fields
    while read -r pid start label dir; do
        if [ "$label" = mount ]; then
            mountpoint -q "$dir" 2>/dev/null && umount "$dir" 2>/dev/null && echo "run-faults.sh: unmounted $dir" >&2
            continue
        fi
        [ -r "/proc/$pid/stat" ] || continue
        # Fields after the command name: 1 is the state (Z: exited, not yet reaped), 20 the start time.
        fields="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
        [ "$(echo "$fields" | cut -d' ' -f20)" = "$start" ] && [ "$(echo "$fields" | cut -d' ' -f1)" != Z ] || continue
        echo "run-faults.sh: killing the $label the bench left running (pid $pid)" >&2
        if [ "$label" = postgres ]; then
            kill -CONT "$pid" 2>/dev/null || true
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
setsid dotnet "$bench/Faults/bin/Release/net10.0/OrleansConnect.Faults.dll" --repo "$repo" --pid-file "$pids" "$@" &
bench_pid=$!
trap 'kill -TERM "$bench_pid" 2>/dev/null || true' INT TERM HUP
# wait returns early when a trapped signal arrives: wait again until the bench has exited, then take its status.
while kill -0 "$bench_pid" 2>/dev/null; do wait "$bench_pid" || true; done
status=0
wait "$bench_pid" || status=$?
exit "$status"

#!/usr/bin/env bash
# Scale: a cluster of N silo processes (Redis or PostgreSQL membership, PostgreSQL grain state, an embedded
# Kafka-protocol broker), C idle FileStreamSource connectors created over REST by K clients; prints the create rate,
# the time until every task is RUNNING and the spread over the silos, idle PostgreSQL transactions/s and connections,
# idle CPU and RSS per silo, REST latencies with 1 and 8 clients, and a kill -9 failover (see bench/README.md).
# Usage: bench/run-scale.sh [--silos N] [--connectors C] [--clients K] [--membership redis|postgresql]
#          [--rest-seconds S] [--idle-seconds S] [--settle S] [--phase-timeout S] [--pg-max-connections N]
#          [--status expand|per-connector] [--set key=value]... [--skip-failover] [--keep]
# Linux only (reads /proc). Needs dotnet, PostgreSQL 15 in /usr/lib/postgresql/15/bin and, for Redis membership,
# redis-server. The REST load is driven from C# (HttpClient): wrk is not needed.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"
# shellcheck source=common.sh
source "$bench/common.sh"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
membership=redis
prev=
for arg in "$@"; do
    [ "$prev" = "--membership" ] && membership="$arg"
    prev="$arg"
done
if [ "$membership" = redis ]; then
    command -v redis-server >/dev/null || missing+=("redis-server (Debian: apt-get install redis-server; or --membership postgresql)")
fi
run_bench Scale "$@"

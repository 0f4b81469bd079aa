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
# shellcheck source=common.sh
source "$bench/common.sh"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
command -v redis-server >/dev/null || missing+=("redis-server (Debian: apt-get install redis-server)")
run_bench Faults "$@"

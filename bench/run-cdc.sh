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
# shellcheck source=common.sh
source "$bench/common.sh"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
[ -x /usr/lib/postgresql/15/bin/pg_recvlogical ] || missing+=("pg_recvlogical (Debian: apt-get install postgresql-15)")
run_bench Cdc "$@"

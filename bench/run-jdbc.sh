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
# shellcheck source=common.sh
source "$bench/common.sh"

missing=()
command -v dotnet >/dev/null || missing+=("dotnet (the .NET 10 SDK)")
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=("PostgreSQL 15 (Debian: apt-get install postgresql-15)")
run_bench Jdbc "$@"

#!/usr/bin/env bash
# Failover time: kill -9 of a silo in a 3-silo Orleans cluster (PostgreSQL membership and state) until its tasks run
# elsewhere. The first setting is the worker default (probe 1000 ms, death 3000 ms).
# Usage: bench/run-failover.sh [--runs N] [--connectors N] [--tasks N] [--settings 1000:3000,2000:6000] [--keep]
# (see bench/README.md). Needs dotnet and PostgreSQL 15 (/usr/lib/postgresql/15/bin); as root it runs the
# throwaway server as the postgres user.
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

command -v dotnet >/dev/null || { echo "dotnet is not on PATH" >&2; exit 2; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 is not installed (Debian: apt-get install postgresql-15)" >&2; exit 2; }

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Failover)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Failover/Failover.csproj"

exec dotnet "$bench/Failover/bin/Release/net10.0/OrleansConnect.Failover.dll" --repo "$repo" "$@"

#!/usr/bin/env bash
# One command: builds Release, then measures kcat and OrleansConnect against one embedded broker.
# Usage: bench/run.sh [lines] [--partitions N] [--line-bytes N] [--poll-ms N] [--timeout SECONDS] [--keep]     (see bench/README.md)
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

command -v kcat >/dev/null || { echo "kcat is not on PATH (Debian: apt-get install kcat)" >&2; exit 2; }
command -v dotnet >/dev/null || { echo "dotnet is not on PATH" >&2; exit 2; }

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Throughput)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Throughput/Throughput.csproj"

exec dotnet "$bench/Throughput/bin/Release/net10.0/OrleansConnect.Throughput.dll" --repo "$repo" "$@"

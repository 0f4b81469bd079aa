#!/usr/bin/env bash
# Memory: VmRSS and threads of an idle silo (defaults, embedded broker), then with N idle connectors + tasks; then the
# REST latency (p50/p99) of GET /connectors?expand=status and GET /connectors/{c}/status with those N connectors.
# Usage: bench/run-memory.sh [--connectors N] [--settle SECONDS] [--sample SECONDS] [--concurrency N] [--latency-requests N] [--keep]
# (see bench/README.md). Linux only (reads /proc/<pid>/status).
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

command -v dotnet >/dev/null || { echo "dotnet is not on PATH" >&2; exit 2; }

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Memory)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Memory/Memory.csproj"

exec dotnet "$bench/Memory/bin/Release/net10.0/OrleansConnect.Memory.dll" --repo "$repo" "$@"

#!/usr/bin/env bash
# Clean stop: SIGTERM → exit of a silo (embedded broker) running N FileStreamSource + M FileStreamSink connectors with
# records flowing, the embedded broker's snapshot save time read from the silo's log, and a start that fails.
# Usage: bench/run-shutdown.sh [--sources N] [--sinks N] [--lines N] [--runs N] [--keep]   (see bench/README.md)
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

command -v dotnet >/dev/null || { echo "dotnet is not on PATH" >&2; exit 2; }

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/Shutdown)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/Shutdown/Shutdown.csproj"

exec dotnet "$bench/Shutdown/bin/Release/net10.0/OrleansConnect.Shutdown.dll" --repo "$repo" "$@"

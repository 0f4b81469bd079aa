#!/usr/bin/env bash
# The embedded broker's log: what a periodic save costs with many topics and one busy, and what kill -9 of a silo on its
# embedded broker mid-stream loses and repeats.
# Usage: bench/run-embedded-log.sh [--topics N] [--records N] [--rate N] [--saves N] [--interval-ms N] [--lines N]
#        [--line-rate N] [--stream-seconds N] [--silo-dll PATH] [--only cost|crash] [--keep]   (see bench/README.md)
set -euo pipefail
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$bench")"

command -v dotnet >/dev/null || { echo "dotnet is not on PATH" >&2; exit 2; }

# One after the other: the machine may have only 2 cores.
echo "Building Release (Silo, bench/EmbeddedLog)..."
dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/EmbeddedLog/EmbeddedLog.csproj"

exec dotnet "$bench/EmbeddedLog/bin/Release/net10.0/OrleansConnect.EmbeddedLog.dll" --repo "$repo" "$@"

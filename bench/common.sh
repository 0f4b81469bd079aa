# Sourced by the bench scripts that run a C# bench project (bench/<Project>) against silo processes:
#   source "$bench/common.sh"; missing=(); ...checks...; run_bench <Project> "$@"
# run_bench refuses to start when `missing` names something, builds Release (Silo, then the project, one after the
# other: the machine may have only 2 cores) and runs OrleansConnect.<Project>.dll with --repo and --pid-file.
#
# The bench kills what it started when it ends, also on Ctrl-C or SIGTERM. If it is itself killed (kill -9, a crash),
# the EXIT trap kills what is left: each process it started is noted in the pid file as "PID START LABEL DIR" with its
# start time, so a reused pid is left alone; a PostgreSQL postmaster (label postgres) gets an immediate shutdown and its
# directory removed; a tmpfs it mounted is noted as "0 0 mount DIR" and unmounted.

run_bench() {
    local project="$1"
    shift
    local script
    script="$(basename "$0")"
    if [ ${#missing[@]} -gt 0 ]; then
        printf 'Missing: %s\n' "${missing[@]}" >&2
        exit 2
    fi

    echo "Building Release (Silo, bench/$project)..."
    dotnet build -c Release -nologo -v q -clp:NoSummary "$repo/Silo/Silo.csproj"
    dotnet build -c Release -nologo -v q -clp:NoSummary "$bench/$project/$project.csproj"

    bench_pids="$(mktemp "${TMPDIR:-/tmp}/orleansconnect-${project,,}-pids.XXXXXX")"
    bench_script="$script"
    trap bench_cleanup EXIT

    # In its own session, so that Ctrl-C reaches only this script, which passes one SIGTERM on: the bench then stops
    # cleanly (a second signal would end it at once).
    setsid dotnet "$bench/$project/bin/Release/net10.0/OrleansConnect.$project.dll" --repo "$repo" --pid-file "$bench_pids" "$@" &
    bench_pid=$!
    trap 'kill -TERM "$bench_pid" 2>/dev/null || true' INT TERM HUP
    # wait returns early when a trapped signal arrives: wait again until the bench has exited, then take its status.
    while kill -0 "$bench_pid" 2>/dev/null; do wait "$bench_pid" || true; done
    local status=0
    wait "$bench_pid" || status=$?
    exit "$status"
}

bench_cleanup() {
    local pid start label dir fields
    while read -r pid start label dir; do
        if [ "$label" = mount ]; then
            mountpoint -q "$dir" 2>/dev/null && umount "$dir" 2>/dev/null && echo "$bench_script: unmounted $dir" >&2
            continue
        fi
        [ -r "/proc/$pid/stat" ] || continue
        # Fields after the command name: 1 is the state (Z: exited, not yet reaped), 20 the start time.
        fields="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null)" || continue
        [ "$(echo "$fields" | cut -d' ' -f20)" = "$start" ] && [ "$(echo "$fields" | cut -d' ' -f1)" != Z ] || continue
        echo "$bench_script: killing the $label the bench left running (pid $pid)" >&2
        if [ "$label" = postgres ]; then
            kill -CONT "$pid" 2>/dev/null || true # a fault may have left it stopped
            kill -QUIT "$pid" 2>/dev/null || true # the postmaster's immediate shutdown: it stops its backends too
            for _ in $(seq 50); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
            [ "$dir" != - ] && rm -rf "$dir"
        else
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done < "$bench_pids"
    rm -f "$bench_pids"
}

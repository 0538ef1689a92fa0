# shellcheck shell=bash
# shellcheck disable=SC2034 # RELEASE, TO and the other settings are read by the scripts that source this
# Shared by scripts/deploy.sh and scripts/rollback.sh (sourced, not run): the state directory, the serve
# process it supervises, and the health probe. docs/operations.md ("Deploy and roll back") explains the layout.
#
#   STATE_DIR/current     symlink to the release that is serving (a directory with bin/hospital-alerts)
#   STATE_DIR/serve.pid   the serve process's pid
#   STATE_DIR/serve.log   its output, appended across releases
#   STATE_DIR/backups/    the backup taken before each deploy and rollback
#   STATE_DIR/history     one line per deploy or rollback: UTC time, what, release, outcome

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() {
    say "$*"
    exit 1
}
bad_usage() {
    say "$*"
    usage >&2
    exit 2
}

utc_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

record() { printf '%s %s\n' "$(utc_now)" "$*" >>"$STATE_DIR/history"; }

# The hospital-alerts program of a release directory; exits 2 when the directory has none.
release_bin() {
    local bin="$1/bin/hospital-alerts"
    [[ -x "$bin" ]] || bad_usage "$1 is not a release: it has no executable bin/hospital-alerts"
    printf '%s' "$bin"
}

# The release the current symlink points at, or "" before the first deploy.
current_release() {
    if [[ -L "$STATE_DIR/current" ]]; then realpath -- "$STATE_DIR/current"; else printf ''; fi
}

# A release's `migrate status`: read once, then parsed by the three functions below (each run of the program
# starts Python and connects, about a second).
migration_status() { "$1" migrate status; }

# The database's newest migration in a status (the release's own, or a newer release's), or 0 for none.
schema_version() {
    local version
    version="$(awk '$1 == "applied" || $1 == "newer" { last = $2 } END { print last }' <<<"$1")"
    printf '%s' "${version:-0}"
}

# The release's own last migration in a status: the schema it was built for.
last_migration() { awk '$1 == "applied" || $1 == "pending" { last = $2 } END { print last }' <<<"$1"; }

# The migrations in a status that the database has and the release does not know (a newer release applied them),
# space-separated.
newer_migrations() { awk '$1 == "newer" { printf "%s ", $2 }' <<<"$1"; }

serving_pid() {
    local pid
    [[ -f "$STATE_DIR/serve.pid" ]] || return 1
    pid="$(cat -- "$STATE_DIR/serve.pid")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

# Stops the supervised serve process: SIGTERM (it drains its requests), then SIGKILL after STOP_TIMEOUT s.
stop_serving() {
    local pid waited=0
    if ! pid="$(serving_pid)"; then
        rm -f -- "$STATE_DIR/serve.pid"
        return 0
    fi
    say "stopping serve (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if ((waited >= STOP_TIMEOUT * 10)); then
            say "serve (pid $pid) did not stop within $STOP_TIMEOUT s: killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f -- "$STATE_DIR/serve.pid"
}

# Starts `serve` of a release in the background, detached from this script, and records its pid.
start_serving() {
    local bin="$1"
    say "starting $bin serve on $HOST:$PORT ..."
    printf '\n== %s %s serve --host %s --port %s\n' "$(utc_now)" "$bin" "$HOST" "$PORT" >>"$STATE_DIR/serve.log"
    # 9>&-: the server must not inherit the state lock, or it would hold it for as long as it serves.
    nohup setsid "$bin" serve --host "$HOST" --port "$PORT" --workers "$WORKERS" \
        >>"$STATE_DIR/serve.log" 2>&1 </dev/null 9>&- &
    printf '%s' "$!" >"$STATE_DIR/serve.pid"
}

# Waits until /health/ready answers 200 (the database answers and the schema is the build's), for at most
# HEALTH_TIMEOUT seconds; fails at once if the process exits.
verify_health() {
    local url="http://$HOST:$PORT/health/ready" deadline=$((SECONDS + HEALTH_TIMEOUT)) status
    say "waiting up to $HEALTH_TIMEOUT s for $url ..."
    while ((SECONDS < deadline)); do
        if ! serving_pid >/dev/null; then
            say "serve exited before it was ready; the end of $STATE_DIR/serve.log:"
            tail -n 15 -- "$STATE_DIR/serve.log" >&2
            return 1
        fi
        status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)"
        if [[ "$status" == 200 ]]; then
            say "healthy: $url answered 200"
            return 0
        fi
        sleep 0.5
    done
    say "$url did not answer 200 within $HEALTH_TIMEOUT s (last answer: ${status:-none})"
    return 1
}

# Backs up the database with a release's program into STATE_DIR/backups; prints the dump's path.
take_backup() {
    local bin="$1" label="$2" path
    path="$STATE_DIR/backups/$label-$(date -u +%Y%m%dT%H%M%SZ).dump"
    "$bin" backup --output "$path" >&2 || return 1
    printf '%s' "$path"
}

# Common options of both scripts; sets RELEASE, STATE_DIR, HOST, PORT, WORKERS, HEALTH_TIMEOUT, STOP_TIMEOUT
# and TO (rollback's target); anything else is bad usage.
parse_options() {
    RELEASE="" TO=""
    STATE_DIR="${HOSPITAL_ALERTS_STATE_DIR:-/var/lib/hospital-alerts}"
    HOST="${HOSPITAL_ALERTS_HOST:-127.0.0.1}" PORT="${HOSPITAL_ALERTS_PORT:-8000}"
    WORKERS="${HOSPITAL_ALERTS_WORKERS:-1}" HEALTH_TIMEOUT=60 STOP_TIMEOUT=30
    while [[ $# -gt 0 ]]; do
        [[ $# -ge 2 ]] || bad_usage "$1 needs a value"
        case "$1" in
        --release) RELEASE="$(realpath -m -- "$2")" ;;
        --to) TO="$2" ;;
        --state-dir) STATE_DIR="$2" ;;
        --host) HOST="$2" ;;
        --port) PORT="$2" ;;
        --workers) WORKERS="$2" ;;
        --health-timeout) HEALTH_TIMEOUT="$2" ;;
        --stop-timeout) STOP_TIMEOUT="$2" ;;
        *) bad_usage "unknown option $1" ;;
        esac
        shift 2
    done
    [[ -n "$RELEASE" ]] || bad_usage "--release DIR is required"
    for number in "$PORT" "$WORKERS" "$HEALTH_TIMEOUT" "$STOP_TIMEOUT"; do
        [[ "$number" =~ ^[1-9][0-9]*$ ]] || bad_usage "$number is not a positive whole number"
    done
    command -v curl >/dev/null 2>&1 || die "curl is needed for the health check: install it"
    mkdir -p -- "$STATE_DIR/backups" || die "cannot create $STATE_DIR/backups"
    STATE_DIR="$(realpath -- "$STATE_DIR")"
}

# One deploy or rollback at a time on this state directory.
hold_state_lock() {
    exec 9>"$STATE_DIR/lock"
    flock -n 9 || die "another deploy or rollback holds $STATE_DIR/lock"
}

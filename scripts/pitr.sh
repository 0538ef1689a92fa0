#!/usr/bin/env bash
# Point-in-time recovery for the hospital-alerts PostgreSQL cluster: WAL archiving, base backups, and a
# restore to a chosen moment. docs/operations.md ("Point-in-time recovery") says when and how to use it;
# tests/e2e/test_pitr.py runs every subcommand against a throwaway cluster.
#
# PostgreSQL's programs come from $PG_BINDIR, else `pg_config --bindir`, else the PATH.
# Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.
set -euo pipefail

PROG=pitr.sh

usage() {
    cat <<'EOF'
usage: pitr.sh COMMAND ARGS...

  configure ARCHIVE_DIR
      Print the postgresql.conf lines that archive every WAL segment into ARCHIVE_DIR/wal/.
  archive-wal ARCHIVE_DIR WAL_PATH WAL_NAME
      Copy one WAL segment into ARCHIVE_DIR/wal/ (PostgreSQL's archive_command runs this with %p %f).
      Never overwrites: an identical copy already there is success, a different one is a failure.
  base-backup ARCHIVE_DIR [CONNINFO]
      pg_basebackup into ARCHIVE_DIR/base/<UTC time>/, then pg_verifybackup it; prints its directory.
      Connects with CONNINFO, else libpq's environment (PGHOST, PGPORT, PGUSER, ...).
  restore ARCHIVE_DIR BASE_DIR NEW_PGDATA TARGET_TIME [--start PORT]
      Copy the base backup BASE_DIR into the new, empty NEW_PGDATA, set it to replay the archived WAL up to
      TARGET_TIME (with its time zone, e.g. '2025-03-01 14:05:00+00') and then promote. With --start PORT,
      also start it on PORT (its socket in $PGHOST when that is a directory) and wait until it has finished
      recovering.

Run base-backup and restore as the OS user that runs PostgreSQL (e.g. `runuser -u postgres -- pitr.sh ...`).
Environment: PG_BINDIR (PostgreSQL's programs), PITR_RECOVERY_TIMEOUT (seconds --start waits; default 3600).
EOF
}

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

# The directory of PostgreSQL's programs, with a trailing slash, or "" to use the PATH.
pg_bindir() {
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "$PG_BINDIR/pg_ctl" ]] || die "PG_BINDIR=$PG_BINDIR has no pg_ctl"
        printf '%s/' "$PG_BINDIR"
    elif command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/pg_ctl" ]]; then
        printf '%s/' "$(pg_config --bindir)"
    else
        printf ''
    fi
}

need() {
    local program="$BIN$1"
    command -v "$program" >/dev/null 2>&1 ||
        die "$1 not found (looked in ${BIN:-the PATH}): install PostgreSQL's server programs or set PG_BINDIR"
}

absolute() { realpath -m -- "$1"; }

# archive_command and restore_command are run by a shell and written inside single quotes in
# postgresql.conf: refuse paths that would need quoting rather than quote them subtly wrong.
plain_path() {
    [[ "$1" =~ ^[A-Za-z0-9_./@%+=:,-]+$ ]] ||
        die "$1: only letters, digits and _./@%+=:,- are supported in this path (use a symlink)"
}

not_root() {
    [[ "$(id -u)" != 0 ]] ||
        die "run $1 as the OS user that runs PostgreSQL, not root (e.g. runuser -u postgres -- $0 $1 ...)"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

cmd_configure() {
    [[ $# -eq 1 ]] || bad_usage "configure takes ARCHIVE_DIR"
    local archive script
    archive="$(absolute "$1")"
    script="$(absolute "$0")"
    plain_path "$archive"
    plain_path "$script"
    cat <<EOF
# Point-in-time recovery (scripts/pitr.sh configure): archive every WAL segment into $archive/wal/.
# archive_mode and wal_level take effect at a restart; archive_command and archive_timeout at a reload.
wal_level = replica
archive_mode = on
archive_command = '$script archive-wal $archive %p %f'
# Archive a partly filled segment after 60 s, so a quiet database loses at most a minute of writes.
archive_timeout = 60
EOF
}

cmd_archive_wal() {
    [[ $# -eq 3 ]] || bad_usage "archive-wal takes ARCHIVE_DIR WAL_PATH WAL_NAME"
    local dir="$1/wal" source="$2" name="$3"
    [[ "$name" =~ ^[0-9A-Za-z._-]+$ && "$name" != */* ]] || die "$name is not a WAL file name"
    [[ -f "$source" ]] || die "$source does not exist"
    mkdir -p -- "$dir" || die "cannot create $dir"
    local target="$dir/$name"
    if [[ -e "$target" ]]; then
        # PostgreSQL retries a segment whose archiving it could not confirm: the same bytes again are fine.
        if cmp -s -- "$source" "$target"; then
            say "$target is archived already with the same content"
            exit 0
        fi
        die "$target is archived already with different content: refusing to overwrite it"
    fi
    local temporary="$dir/.$name.tmp.$$"
    trap 'rm -f -- "$temporary"' EXIT
    cp -- "$source" "$temporary" || die "cannot copy $source to $dir"
    sync -- "$temporary" || die "cannot flush $temporary to disk"
    # A rename is atomic: a reader (or a crash) never sees half a segment under its final name.
    mv -f -- "$temporary" "$target" || die "cannot rename $temporary to $target"
    sync -- "$dir" || die "cannot flush $dir to disk"
    trap - EXIT
}

cmd_base_backup() {
    [[ $# -eq 1 || $# -eq 2 ]] || bad_usage "base-backup takes ARCHIVE_DIR [CONNINFO]"
    not_root base-backup
    need pg_basebackup
    need pg_verifybackup
    local archive started target
    archive="$(absolute "$1")"
    target="$archive/base/$(date -u +%Y%m%dT%H%M%SZ)"
    [[ ! -e "$target" ]] || die "$target exists already: wait a second and run again"
    mkdir -p -- "$archive/base" || die "cannot create $archive/base"
    local connection=()
    [[ $# -eq 2 ]] && connection=(-d "$2")
    started="$(now)"
    say "base backup into $target"
    # Plain format, so restore is a copy; the WAL the backup needs is streamed into it, so it is
    # consistent by itself; a fast checkpoint starts it now rather than at the next scheduled one.
    "${BIN}pg_basebackup" "${connection[@]}" -D "$target" --format=plain --wal-method=stream \
        --checkpoint=fast --manifest-checksums=SHA256 --label="pitr.sh $(basename "$target")" ||
        die "pg_basebackup failed (above); nothing was kept"
    say "verifying $target against its backup_manifest"
    "${BIN}pg_verifybackup" --quiet "$target" || die "pg_verifybackup found $target damaged (above): do not use it"
    local first_wal
    first_wal="$(sed -n 's/^START WAL LOCATION: .*(file \([0-9A-F]*\))$/\1/p' "$target/backup_label")"
    say "base backup done in $(elapsed "$started") s; restoring it needs archived WAL from ${first_wal:-?} on"
    printf '%s\n' "$target"
}

# Seconds since the epoch of TIME, or nothing when date(1) cannot read it.
epoch() { date -u -d "$1" +%s 2>/dev/null || true; }

cmd_restore() {
    local start_port=""
    local args=()
    while [[ $# -gt 0 ]]; do
        case "$1" in
            --start)
                [[ $# -ge 2 ]] || bad_usage "--start takes PORT"
                start_port="$2"
                shift 2
                ;;
            --start=*)
                start_port="${1#--start=}"
                shift
                ;;
            -*) bad_usage "unknown option $1" ;;
            *)
                args+=("$1")
                shift
                ;;
        esac
    done
    [[ ${#args[@]} -eq 4 ]] || bad_usage "restore takes ARCHIVE_DIR BASE_DIR NEW_PGDATA TARGET_TIME [--start PORT]"
    [[ -z "$start_port" || "$start_port" =~ ^[0-9]+$ ]] || bad_usage "--start takes a port number, not $start_port"
    local archive base data target="${args[3]}"
    archive="$(absolute "${args[0]}")"
    base="$(absolute "${args[1]}")"
    data="$(absolute "${args[2]}")"
    # Without a zone PostgreSQL would read the time in the restored server's time zone: make the operator say.
    local zone='( ?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?))'
    [[ "$target" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}[\ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$zone$ ]] ||
        bad_usage "TARGET_TIME must be like '2025-03-01 14:05:00+00' (date, time, and time zone), not '$target'"
    local target_epoch
    target_epoch="$(epoch "$target")"
    [[ -n "$target_epoch" ]] || bad_usage "TARGET_TIME '$target' is not a valid time"
    not_root restore
    need pg_ctl
    need pg_verifybackup
    [[ -z "$start_port" ]] || need psql
    plain_path "$archive"
    [[ -d "$archive/wal" ]] || die "$archive/wal does not exist: ARCHIVE_DIR is the directory given to configure"
    [[ -f "$base/backup_label" && -f "$base/backup_manifest" ]] ||
        die "$base is not a base backup (no backup_label or backup_manifest): pick one of $archive/base/*"
    if [[ -e "$data" ]]; then
        [[ -d "$data" ]] || die "$data exists and is not a directory"
        [[ -z "$(ls -A -- "$data")" ]] || die "$data is not empty: restore into a new directory"
    fi
    local backup_started backup_epoch
    backup_started="$(sed -n 's/^START TIME: //p' "$base/backup_label")"
    backup_epoch="$(epoch "$backup_started")"
    if [[ -n "$backup_epoch" && "$target_epoch" -lt "$backup_epoch" ]]; then
        die "$base started at $backup_started, after TARGET_TIME: pick an older base backup"
    fi

    say "recovering to $target ($(date -u -d "@$target_epoch" '+%Y-%m-%d %H:%M:%S UTC'))"
    say "verifying $base against its backup_manifest"
    "${BIN}pg_verifybackup" --quiet "$base" || die "pg_verifybackup found $base damaged (above): pick another"
    say "copying $base into $data"
    mkdir -p -- "$data" || die "cannot create $data"
    chmod 0700 "$data"
    cp -a -- "$base/." "$data/" || die "cannot copy $base into $data"
    cat >>"$data/postgresql.auto.conf" <<EOF
# Point-in-time recovery (scripts/pitr.sh restore, $(date -u '+%Y-%m-%d %H:%M:%S UTC')): replay the archived
# WAL up to the target, then promote. Ignored once recovery.signal is gone; remove these lines at leisure.
restore_command = 'cp $archive/wal/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
# Stay on the base backup's timeline: an earlier restore from this archive may have archived a newer timeline,
# which PostgreSQL's default ('latest') would follow, away from the history this restore is about.
recovery_target_timeline = 'current'
EOF
    : >"$data/recovery.signal"
    local missing=() file
    for file in postgresql.conf pg_hba.conf; do
        [[ -f "$data/$file" ]] || missing+=("$file")
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        # Debian and Ubuntu keep them in /etc/postgresql/<version>/<cluster>/, outside the data directory.
        say "WARNING: $data has no ${missing[*]}: copy the original server's (e.g. from /etc/postgresql/*/main/)"
        say "into $data before starting it, and delete their data_directory and external_pid_file lines"
    fi

    if [[ -z "$start_port" ]]; then
        cat <<EOF
restored into $data; to finish the recovery:
  ${BIN}pg_ctl -D $data -l $data/pitr-start.log -o '-p PORT' start
  psql -p PORT -d postgres -Atc 'SELECT pg_is_in_recovery()'    # repeat until it prints f
then point the app's DATABASE_URL at port PORT (docs/operations.md, "Point-in-time recovery").
EOF
        return
    fi

    [[ ${#missing[@]} -eq 0 ]] || die "not starting $data without its ${missing[*]}"
    # A configuration copied from /etc/postgresql/ names the original's data directory: started with it, the
    # "restored" server would run on the damaged cluster's files instead.
    if grep -Eq '^[[:space:]]*(data_directory|external_pid_file)[[:space:]]*=' "$data/postgresql.conf"; then
        die "$data/postgresql.conf sets data_directory or external_pid_file (the original's): delete those lines"
    fi
    # The server's socket, and psql's way to it: $PGHOST when that is a directory, else the default.
    local options="-p $start_port" socket=()
    if [[ "${PGHOST:-}" == /* ]]; then
        plain_path "$PGHOST"
        options+=" -k $PGHOST"
        socket=(-h "$PGHOST")
    fi
    local started log="$data/pitr-start.log"
    started="$(now)"
    say "starting $data on port $start_port (log: $log)"
    # -w returns once the server accepts connections, which during archive recovery is once it is consistent.
    "${BIN}pg_ctl" -D "$data" -l "$log" -o "$options" -w -t 3600 start >&2 ||
        die "the server did not start: see $log"
    # Ask the server where it listens (postmaster.pid: line 4 the port, 5 the socket directory, 6 the first
    # listen address): the restored configuration may set a socket directory other than psql's default.
    local pid_port pid_socket pid_address
    pid_port="$(sed -n 4p "$data/postmaster.pid")"
    pid_socket="$(sed -n 5p "$data/postmaster.pid")"
    pid_address="$(sed -n 6p "$data/postmaster.pid")"
    if [[ -n "$pid_socket" ]]; then
        socket=(-h "$pid_socket")
    elif [[ -n "$pid_address" && "$pid_address" != "*" ]]; then
        socket=(-h "$pid_address")
    else
        socket=(-h 127.0.0.1)
    fi
    [[ "$pid_port" == "$start_port" ]] ||
        die "the server listens on port ${pid_port:-?}, not $start_port: the restored configuration sets port"
    local timeout="${PITR_RECOVERY_TIMEOUT:-3600}" state="" said=0 waited
    while :; do
        state="$(env -u PGHOST -u PGHOSTADDR "${BIN}psql" "${socket[@]}" -X -At -p "$start_port" -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null || true)"
        [[ "$state" == f ]] && break
        waited="$(elapsed "$started")"
        if awk -v s="$waited" -v n="$said" 'BEGIN { exit !(s >= n + 10) }'; then
            said="${waited%.*}"
            say "still recovering after $waited s (psql ${socket[*]} -p $start_port answers '${state:-no connection}')"
        fi
        if ! "${BIN}pg_ctl" -D "$data" status >/dev/null 2>&1; then
            tail -n 20 -- "$log" >&2 || true
            die "the server stopped during recovery (its log's end is above; the full log is $log)"
        fi
        if awk -v s="$(elapsed "$started")" -v t="$timeout" 'BEGIN { exit !(s > t) }'; then
            die "still recovering after $timeout s (PITR_RECOVERY_TIMEOUT); it is running: see $log"
        fi
        sleep 0.2
    done
    say "recovery finished in $(elapsed "$started") s: $data is promoted and accepts writes on port $start_port"
    cat <<EOF
recovered to $target in $data, running on port $start_port
check it: psql -p $start_port -d postgres -Atc 'SELECT pg_is_in_recovery()'   # f
then point the app's DATABASE_URL at port $start_port (docs/operations.md, "Point-in-time recovery").
EOF
}

[[ $# -ge 1 ]] || bad_usage "no command given"
command="$1"
shift
case "$command" in
    -h | --help | help)
        usage
        exit 0
        ;;
    configure) cmd_configure "$@" ;;
    archive-wal) cmd_archive_wal "$@" ;;
    base-backup)
        BIN="$(pg_bindir)"
        cmd_base_backup "$@"
        ;;
    restore)
        BIN="$(pg_bindir)"
        cmd_restore "$@"
        ;;
    *) bad_usage "unknown command $command" ;;
esac

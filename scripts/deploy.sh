#!/usr/bin/env bash
# Deploys a release of hospital-alerts on this machine, and rolls back by itself when it fails:
#
#   1. check      the new release's `check --allow-pending` against the database (nothing changed yet)
#   2. backup     `backup` into STATE_DIR/backups (skipped on an empty database: a first install)
#   3. migrate    `migrate up`, remembering the schema version it started from
#   4. check      `check` again, now in full: every SQL statement prepares against the migrated schema
#   5. start      stop the serving release, start the new one's `serve`
#   6. health     GET /health/ready must answer 200 within --health-timeout seconds
#
# A failure at 3 to 6 stops the new release, migrates down to the version of step 3 with the new release (it
# knows how to undo its own migrations), starts the previous release and checks its health; the dump of step 2
# is the last resort when even that fails. docs/operations.md ("Deploy and roll back") is the runbook;
# tests/e2e/test_deploy.py deploys, fails a deploy and rolls back against a scratch database.
#
# The database and settings come from the environment (DATABASE_URL, HOSPITAL_ALERTS_*), as for the service.
# Exit codes: 0 deployed; 1 failed (rolled back, or the message says what is left to do); 2 bad usage.
set -euo pipefail

PROG=deploy.sh
usage() {
    cat <<'USAGE'
usage: deploy.sh --release DIR [--state-dir DIR] [--host H] [--port P] [--workers N]
                 [--health-timeout SECONDS] [--stop-timeout SECONDS]

  --release DIR         the new release: a directory with bin/hospital-alerts (e.g. a virtualenv with the wheel)
  --state-dir DIR       where current, serve.pid, serve.log, backups/ and history live
                        (default $HOSPITAL_ALERTS_STATE_DIR, else /var/lib/hospital-alerts)
  --host, --port, --workers   passed to serve (defaults: HOSPITAL_ALERTS_HOST/PORT/WORKERS, else 127.0.0.1 8000 1)
  --health-timeout      seconds the new release has to answer /health/ready with 200 (default 60)
  --stop-timeout        seconds serve has to drain before it is killed (default 30)
USAGE
}
# shellcheck source=scripts/release-lib.sh
source "$(dirname -- "$(realpath -- "$0")")/release-lib.sh"

parse_options "$@"
[[ -z "$TO" ]] || bad_usage "--to is rollback.sh's option"
NEW="$(release_bin "$RELEASE")"
hold_state_lock
PREVIOUS="$(current_release)"
MIGRATED=no
FROM_VERSION=""
BACKUP=""

roll_back() {
    local step="$1"
    say "the deploy of $RELEASE failed at $step: rolling back"
    stop_serving
    if [[ "$MIGRATED" == yes ]]; then
        say "migrating down to $FROM_VERSION with the new release ..."
        if ! "$NEW" migrate down --to "$FROM_VERSION" >&2; then
            record "deploy $RELEASE FAILED at $step; migrate down to $FROM_VERSION FAILED"
            die "could not migrate down to $FROM_VERSION: nothing is serving. Restore the backup taken before this" \
                "deploy into an empty database (hospital-alerts restore ${BACKUP:-<no backup: first install>}" \
                "--target-url ...), point DATABASE_URL at it and deploy the previous release"
        fi
    fi
    if [[ -z "$PREVIOUS" ]]; then
        record "deploy $RELEASE FAILED at $step; rolled back (no previous release)"
        die "deploy failed at $step; the schema is back at $FROM_VERSION and nothing was serving before: nothing started"
    fi
    start_serving "$(release_bin "$PREVIOUS")"
    if ! verify_health; then
        record "deploy $RELEASE FAILED at $step; previous release $PREVIOUS UNHEALTHY after rollback"
        die "deploy failed at $step and the previous release $PREVIOUS is not healthy after the rollback:" \
            "see $STATE_DIR/serve.log"
    fi
    record "deploy $RELEASE FAILED at $step; rolled back to $PREVIOUS"
    die "deploy failed at $step; rolled back: $PREVIOUS is serving again, the schema is at $FROM_VERSION"
}

say "deploying $RELEASE (serving now: ${PREVIOUS:-nothing})"

say "step 1/6: check before migrating"
"$NEW" check --allow-pending >&2 || {
    record "deploy $RELEASE REFUSED by check"
    die "check failed: nothing was changed"
}

STATUS="$(migration_status "$NEW")" || die "cannot read the schema version: nothing was changed"
NEWER="$(newer_migrations "$STATUS")"
[[ -z "$NEWER" ]] || {
    record "deploy $RELEASE REFUSED: the database is ahead of it"
    die "the database has migrations $RELEASE does not know (${NEWER% }): it is older than the schema;" \
        "go back to it with rollback.sh, which removes them first. Nothing was changed"
}
FROM_VERSION="$(schema_version "$STATUS")"
say "step 2/6: backup (schema at $FROM_VERSION)"
if [[ "$FROM_VERSION" == 0 ]]; then
    say "the database has no schema yet (a first install): nothing to back up"
else
    BACKUP="$(take_backup "$NEW" "before-$(basename -- "$RELEASE")")" || {
        record "deploy $RELEASE REFUSED: backup failed"
        die "the backup failed: nothing was changed"
    }
    say "backup: $BACKUP"
fi

say "step 3/6: migrate"
MIGRATED=yes
"$NEW" migrate up >&2 || roll_back "migrate"

say "step 4/6: check after migrating"
"$NEW" check >&2 || roll_back "check after migrating"

say "step 5/6: start"
stop_serving
start_serving "$NEW"

say "step 6/6: health"
verify_health || roll_back "health"

ln -sfn -- "$RELEASE" "$STATE_DIR/current"
STATUS="$(migration_status "$NEW")" || STATUS=""  # serving already: a failed read only blurs the record
record "deploy $RELEASE OK (schema $(schema_version "$STATUS"), backup ${BACKUP:-none})"
say "deployed $RELEASE: serving on http://$HOST:$PORT (pid $(serving_pid)); backup ${BACKUP:-none}"

#!/usr/bin/env bash
# Rolls back by hand to an earlier release: backs up, migrates down to a named version with the serving
# release (it knows how to undo its migrations), starts the earlier release, and verifies it: the schema is
# exactly the earlier release's (its last migration, nothing newer), its own `check` passes (every statement
# prepares against the schema), and /health/ready answers 200. A --to that is not the earlier release's last
# migration, or a database with migrations the serving release cannot undo, is refused before anything changes. docs/operations.md ("Deploy and roll back") is the runbook.
#
# The database and settings come from the environment (DATABASE_URL, HOSPITAL_ALERTS_*), as for the service.
# Exit codes: 0 rolled back and verified; 1 failed (the message says what state it left); 2 bad usage.
set -euo pipefail

PROG=rollback.sh
usage() {
    cat <<'USAGE'
usage: rollback.sh --to VERSION --release DIR [--state-dir DIR] [--host H] [--port P] [--workers N]
                   [--health-timeout SECONDS] [--stop-timeout SECONDS]

  --to VERSION          the migration to migrate down to: the earlier release's last one (its
                        `hospital-alerts migrate status` lists them), or 0 for an empty schema
  --release DIR         the earlier release to serve afterwards (a directory with bin/hospital-alerts)
  other options         as deploy.sh's
USAGE
}
# shellcheck source=scripts/release-lib.sh
source "$(dirname -- "$(realpath -- "$0")")/release-lib.sh"

parse_options "$@"
[[ -n "$TO" ]] || bad_usage "--to VERSION is required"
TARGET="$(release_bin "$RELEASE")"
hold_state_lock
CURRENT="$(current_release)"
[[ -n "$CURRENT" ]] || die "nothing was deployed in $STATE_DIR (no current release): nothing to roll back"
SERVING="$(release_bin "$CURRENT")"

TARGET_STATUS="$(migration_status "$TARGET")" || die "cannot read $RELEASE's migrations: nothing was changed"
TARGET_LAST="$(last_migration "$TARGET_STATUS")"
[[ "$TO" == "$TARGET_LAST" ]] || die "--to $TO is not the schema of $RELEASE, whose last migration is" \
    "${TARGET_LAST:-none}: run it again with --to ${TARGET_LAST:-0}. Nothing was changed"
STATUS="$(migration_status "$SERVING")" || die "cannot read the schema version: nothing was changed"
NEWER="$(newer_migrations "$STATUS")"
[[ -z "$NEWER" ]] || die "the database has migrations the serving release $CURRENT does not know (${NEWER% }):" \
    "only the release that brought them can roll them back. Nothing was changed"
FROM_VERSION="$(schema_version "$STATUS")"
say "rolling back from $CURRENT (schema $FROM_VERSION) to $RELEASE (schema $TO)"

say "step 1/5: backup"
BACKUP="$(take_backup "$SERVING" "before-rollback-to-$(basename -- "$RELEASE")")" || {
    record "rollback to $RELEASE REFUSED: backup failed"
    die "the backup failed: nothing was changed"
}
say "backup: $BACKUP"

say "step 2/5: stop $CURRENT"
stop_serving

say "step 3/5: migrate down to $TO"
if ! "$SERVING" migrate down --to "$TO" >&2; then
    say "could not migrate down: starting $CURRENT again"
    start_serving "$SERVING"
    verify_health || true
    record "rollback to $RELEASE FAILED at migrate down; $CURRENT restarted"
    die "migrate down to $TO failed; $CURRENT was started again (see its health above)"
fi
say "step 4/5: verify the schema is exactly $RELEASE's"
STATUS="$(migration_status "$TARGET")" ||
    die "cannot read the schema version after migrating down: nothing is serving"
AT="$(schema_version "$STATUS")"
NEWER="$(newer_migrations "$STATUS")"
if [[ "$AT" != "$TO" || -n "$NEWER" ]]; then
    record "rollback to $RELEASE FAILED: the schema is at $AT after migrating down"
    die "after migrating down the schema is at $AT${NEWER:+ (unknown to $RELEASE: ${NEWER% })}, not $TO:" \
        "nothing is serving. The backup before this rollback is $BACKUP"
fi
"$TARGET" check >&2 || {
    record "rollback to $RELEASE FAILED: its check fails at schema $TO"
    die "$RELEASE's check fails against schema $TO: nothing is serving. The backup before this rollback is $BACKUP"
}

say "step 5/5: start $RELEASE and verify its health"
start_serving "$TARGET"
verify_health || {
    record "rollback to $RELEASE FAILED: unhealthy"
    die "$RELEASE did not become healthy: see $STATE_DIR/serve.log; the backup before this rollback is $BACKUP"
}
ln -sfn -- "$RELEASE" "$STATE_DIR/current"
record "rollback to $RELEASE OK (schema $TO, backup $BACKUP)"
say "rolled back: $RELEASE is serving on http://$HOST:$PORT (pid $(serving_pid)), schema at $TO"

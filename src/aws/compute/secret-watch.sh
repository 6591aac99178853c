#!/usr/bin/env bash
# hastack: restarts the app when the database secret has a new current version. RDS rotates the
# master password it keeps in Secrets Manager (every 7 days by default); the app's DATABASE_URL
# holds the password read at start, so new connections would fail until the app starts again.
# start-app.sh records the version it read; this compares it with the current one.
#
# Every instance sees a rotation within one check of the others, so each waits a random delay of
# up to HASTACK_RESTART_SPREAD_SECONDS first: the instances restart at different moments, not all
# at once. The restart stops the app as systemd does (SIGTERM, then at most the unit's stop
# timeout to finish its requests) and starts it again with the new password.
# Run as root by a systemd timer; the timer does not fire again while this runs.
#
# Reads: HASTACK_ENV_FILE (default /etc/hastack/app.env) for HASTACK_DB_SECRET_ARN and AWS_REGION;
# HASTACK_SECRET_VERSION_FILE (the version start-app.sh read); HASTACK_APP_SERVICE (the unit);
# HASTACK_RESTART_SPREAD_SECONDS (the longest delay before a restart, default 0).
set -euo pipefail

env_file=${HASTACK_ENV_FILE:-/etc/hastack/app.env}
version_file=${HASTACK_SECRET_VERSION_FILE:?the file start-app.sh records the secret version in}
service=${HASTACK_APP_SERVICE:?the app service to restart}
spread=${HASTACK_RESTART_SPREAD_SECONDS:-0}

if [[ -f $env_file ]]; then
  set -a
  # shellcheck source=/dev/null
  . "$env_file"
  set +a
fi

# Nothing to follow: DATABASE_URL came from the spec, or the app has not read the secret yet.
if [[ -z ${HASTACK_DB_SECRET_ARN:-} || ! -s $version_file ]]; then
  exit 0
fi

recorded=$(<"$version_file")
current=$(aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$HASTACK_DB_SECRET_ARN" --query VersionId --output text)
if [[ -z $current || $current == "$recorded" ]]; then
  exit 0
fi

delay=0
if ((spread > 0)); then
  delay=$((RANDOM % (spread + 1)))
fi
echo "secret-watch: the database secret's current version is $current, the app started with $recorded; restarting $service in $delay s"
sleep "$delay"
# The app may have started again meanwhile (it exited, or someone restarted it) with the new version.
if [[ $(<"$version_file") != "$recorded" ]]; then
  echo "secret-watch: $service started again meanwhile with version $(<"$version_file"); nothing to do"
  exit 0
fi
systemctl restart "$service"

#!/usr/bin/env bash
# hastack: starts the app on an EC2 instance. systemd runs it as the service's ExecStart, with the
# app's command and arguments after it (`node` is the Node.js hastack installed).
#
# 1. Loads the environment file hastack wrote ($HASTACK_ENV_FILE, default /etc/hastack/app.env).
# 2. Unless DATABASE_URL is already set (by spec.app.env, or by a test), reads the database secret
#    from Secrets Manager and builds
#    postgres://user:password@host:port/db?sslmode=verify-full&sslrootcert=<CA file>
#    with the user and password URL-encoded. Done at every start, so a restart picks up a new
#    password; the secret's version goes to $HASTACK_SECRET_VERSION_FILE (when set) for
#    secret-watch.sh, which restarts the app when RDS rotates the password.
# 3. Changes to the app's folder ($HASTACK_APP_DIR) and replaces itself with the app, so systemd
#    supervises (and signals) the app's own process.
set -euo pipefail

if [[ $# -eq 0 ]]; then
  echo "start-app: no command given; expected the app's command and arguments" >&2
  exit 64
fi

env_file=${HASTACK_ENV_FILE:-/etc/hastack/app.env}
if [[ -f $env_file ]]; then
  set -a
  # shellcheck source=/dev/null
  . "$env_file"
  set +a
fi

# Prints the connection string built from the secret; the secret never touches the disk or argv.
database_url_from_secret() {
  local name missing=()
  for name in HASTACK_DB_SECRET_ARN HASTACK_DB_HOST HASTACK_DB_PORT HASTACK_DB_NAME AWS_REGION; do
    [[ -n ${!name:-} ]] || missing+=("$name")
  done
  if ((${#missing[@]} > 0)); then
    echo "start-app: DATABASE_URL is not set, and ${missing[*]} not in $env_file; expected the environment file hastack writes at boot" >&2
    return 1
  fi
  # shellcheck disable=SC2016 # the JavaScript's ${...} are its own
  aws secretsmanager get-secret-value --region "$AWS_REGION" --secret-id "$HASTACK_DB_SECRET_ARN" \
    --query '{secret: SecretString, version: VersionId}' --output json |
    node -e '
      const fs = require("node:fs");
      let s, version;
      try {
        const answer = JSON.parse(fs.readFileSync(0, "utf8"));
        s = JSON.parse(answer.secret);
        version = answer.version;
      } catch { s = undefined; }
      if (typeof s?.username !== "string" || typeof s?.password !== "string") {
        console.error("start-app: the database secret is not JSON with string username and password");
        process.exit(1);
      }
      const e = process.env, q = encodeURIComponent;
      let url = `postgres://${q(s.username)}:${q(s.password)}@${e.HASTACK_DB_HOST}:${e.HASTACK_DB_PORT}/${q(e.HASTACK_DB_NAME)}?sslmode=verify-full`;
      if (e.HASTACK_DB_CA_FILE) url += `&sslrootcert=${q(e.HASTACK_DB_CA_FILE)}`;
      if (e.HASTACK_SECRET_VERSION_FILE && typeof version === "string") fs.writeFileSync(e.HASTACK_SECRET_VERSION_FILE, `${version}\n`);
      process.stdout.write(url);
    '
}

if [[ -z ${DATABASE_URL:-} ]]; then
  DATABASE_URL=$(database_url_from_secret)
  export DATABASE_URL
fi

cd "${HASTACK_APP_DIR:-.}"
# The app needs none of hastack's own variables.
unset HASTACK_ENV_FILE HASTACK_APP_DIR HASTACK_DB_SECRET_ARN HASTACK_DB_HOST HASTACK_DB_PORT HASTACK_DB_NAME HASTACK_DB_CA_FILE \
  HASTACK_SECRET_VERSION_FILE
exec "$@"

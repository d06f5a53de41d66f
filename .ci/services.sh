#!/usr/bin/env bash
# Install and start the services the test suite needs; writes .ci/services.env for the caller.
#   PostgreSQL: a throwaway cluster on 127.0.0.1:54329, database "pipedeal_test".
#   Chromium:   Debian's chromium + chromium-driver (/usr/bin/chromium).
#   axe-core:   from npm into /tmp/pipedeal-axe (the web pages' accessibility check).
# Usable locally too: `bash .ci/services.sh && source .ci/services.env`.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium chromium-driver)
if ((${#need[@]})); then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

pgbin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n1)")
port=54329
data=/tmp/pipedeal-pg
if ! "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  rm -rf "$data" && mkdir -p "$data" && chown postgres:postgres "$data"
  runuser -u postgres -- "$pgbin/initdb" -D "$data" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$data" -l "$data/log" -w \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
fi
runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -tc \
  "SELECT 1 FROM pg_database WHERE datname='pipedeal_test'" | grep -q 1 \
  || runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres pipedeal_test

# axe-core (the web pages' accessibility check) from its npm package, outside the repository
axe_dir=/tmp/pipedeal-axe
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
  command -v npm >/dev/null || { apt-get install -y -qq --no-install-recommends npm >/dev/null; }
  npm install --silent --no-audit --no-fund --prefix "$axe_dir" axe-core@4 >/dev/null
fi

cat > .ci/services.env <<ENV
export PIPEDEAL_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$port/pipedeal_test
export PIPEDEAL_CHROMIUM=$(command -v chromium)
export PIPEDEAL_AXE=$axe_dir/node_modules/axe-core/axe.min.js
ENV
echo "services ready: PostgreSQL on 127.0.0.1:$port, chromium at $(command -v chromium)," \
  "axe-core at $axe_dir"

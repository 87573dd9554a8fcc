# PostgreSQL for the tests of the multi-node key-image store. Source this file, then call
# `postgres_start`: it installs Debian's `postgresql` when no server binaries are present,
# creates a data directory of its own, starts a server bound to 127.0.0.1 on a free port as an
# unprivileged user (initdb refuses root), and exports V2G_TEST_PG_URL. `postgres_stop` stops it
# and removes the data directory; call it from the caller's EXIT trap.

postgres_bin_dir() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

postgres_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close();});'
}

postgres_start() {
  local bin user
  if [ -n "${V2G_TEST_PG_URL:-}" ]; then
    echo "postgres: using V2G_TEST_PG_URL from the environment"
    return 0
  fi
  if ! bin=$(postgres_bin_dir); then
    echo "postgres: installing Debian's postgresql"
    if [ "$(id -u)" -eq 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    else
      echo "postgres: not root, cannot install postgresql"
      return 1
    fi
    bin=$(postgres_bin_dir) || return 1
  fi
  user=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    user=postgres
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user" || return 1
  fi
  POSTGRES_DATA=$(mktemp -d -t v2g-pg.XXXXXX)
  chown "$user" "$POSTGRES_DATA"
  POSTGRES_PORT=$(postgres_free_port)
  POSTGRES_USER_RUN=$user
  POSTGRES_BIN=$bin
  postgres_as "$bin/initdb" -D "$POSTGRES_DATA/db" -U v2g --auth=trust -E UTF8 >/dev/null || return 1
  postgres_as "$bin/pg_ctl" -D "$POSTGRES_DATA/db" -l "$POSTGRES_DATA/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $POSTGRES_DATA -c fsync=on" start >/dev/null || {
    cat "$POSTGRES_DATA/server.log"
    return 1
  }
  export V2G_TEST_PG_URL="postgresql://v2g@127.0.0.1:$POSTGRES_PORT/postgres"
  echo "postgres: server on 127.0.0.1:$POSTGRES_PORT"
}

postgres_as() {
  if [ "$POSTGRES_USER_RUN" = "$(id -un)" ]; then
    "$@"
  else
    runuser -u "$POSTGRES_USER_RUN" -- "$@"
  fi
}

postgres_stop() {
  if [ -n "${POSTGRES_DATA:-}" ] && [ -d "$POSTGRES_DATA/db" ]; then
    postgres_as "$POSTGRES_BIN/pg_ctl" -D "$POSTGRES_DATA/db" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$POSTGRES_DATA"
  fi
}

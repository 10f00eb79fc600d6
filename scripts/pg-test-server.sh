#!/usr/bin/env bash
# A private PostgreSQL 15 server for the test suites, listening only on a Unix socket in DIR.
#
#   scripts/pg-test-server.sh start DIR   # prints the connection URL (its only stdout line)
#   scripts/pg-test-server.sh stop DIR
#
# DIR holds the cluster (DIR/data), the socket and the server log (DIR/server.log). Run as
# root, the server runs as the `postgres` OS user (DIR is chowned to it, and DIR's parents
# must be traversable by it, e.g. mode 0755 folders under /tmp).
set -euo pipefail

PG_VERSION=15

die() { echo "pg-test-server: $*" >&2; exit 1; }
usage() { echo "usage: $0 start DIR | stop DIR" >&2; exit 2; }

find_bindir() {
  local dir="/usr/lib/postgresql/${PG_VERSION}/bin"
  if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
    if [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
  fi
  return 1
}

bindir() {
  local dir
  if dir=$(find_bindir); then echo "$dir"; return; fi
  if [[ $(id -u) -ne 0 ]]; then
    die "PostgreSQL ${PG_VERSION} server binaries not found; install postgresql-${PG_VERSION}"
  fi
  echo "pg-test-server: installing postgresql-${PG_VERSION}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y "postgresql-${PG_VERSION}" >&2 ||
    { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y "postgresql-${PG_VERSION}" >&2; }
  dir=$(find_bindir) || die "PostgreSQL ${PG_VERSION} is still not installed"
  echo "$dir"
}

# Runs a command as the server's OS user.
as_server_user() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

server_user() {
  if [[ $(id -u) -eq 0 ]]; then echo postgres; else id -un; fi
}

# Percent-encodes a value for a URI query string.
urlencode() {
  local s="$1" out="" c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in
      [A-Za-z0-9/._~-]) out+="$c" ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s' "$out"
}

start() {
  local dir="$1" bin user data
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd -P)
  data="$dir/data"
  bin=$(bindir)
  user=$(server_user)

  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "the postgres OS user does not exist"
    chown postgres:postgres "$dir"
    chmod 0755 "$dir"
    runuser -u postgres -- test -x "$dir" ||
      die "$dir is not reachable by the postgres user (make its parent folders mode 0755)"
  fi

  if [[ ! -f "$data/PG_VERSION" ]]; then
    as_server_user "$bin/initdb" -D "$data" -U "$user" --auth=trust --encoding=UTF8 \
      --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    local quoted_dir=${dir//\'/\'\'}
    as_server_user tee -a "$data/postgresql.conf" >/dev/null <<CONF

# pg-test-server.sh
listen_addresses = ''
unix_socket_directories = '${quoted_dir}'
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
shared_buffers = 128MB
CONF
  fi

  if ! as_server_user "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    as_server_user "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start >&2 ||
      { tail -n 50 "$dir/server.log" >&2 || true; die "the server did not start"; }
  fi

  echo "postgresql:///postgres?host=$(urlencode "$dir")&user=$(urlencode "$user")"
}

stop() {
  local dir="$1" bin
  [[ -d "$dir" ]] || return 0
  dir=$(cd "$dir" && pwd -P)
  [[ -f "$dir/data/PG_VERSION" ]] || return 0
  bin=$(find_bindir) || die "PostgreSQL ${PG_VERSION} server binaries not found"
  if as_server_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2
  fi
}

[[ $# -eq 2 ]] || usage
case "$1" in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac

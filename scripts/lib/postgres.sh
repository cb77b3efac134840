# shellcheck shell=bash
# A private PostgreSQL cluster for scripts/run and scripts/test. Source this file, then:
#
#   pg_cluster_start DIR PORT [run|test]   # init (if needed) and start, or reuse a running one
#   pg_cluster_stop                        # stop it again, only if pg_cluster_start started it
#   pg_free_port                           # print a TCP port that is free on 127.0.0.1
#
# After pg_cluster_start: ConnectionStrings__Postgres is exported, and PG_CLUSTER_PORT,
# PG_CLUSTER_LOG, PG_BIN describe the server.
#
# DIR holds everything that belongs to the cluster, so removing DIR removes the cluster:
#   DIR/data          the data directory (PGDATA)
#   DIR/run           the unix socket (kept out of /var/run/postgresql, which may not exist
#                     or may belong to a system cluster)
#   DIR/postgres.log  the server log
#
# Environment: FLEXPRICE_PG_USER picks the unprivileged account used when running as root
# (default: the owner of an existing data dir, else `postgres`).

PG_BIN=""
PG_CLUSTER_DIR=""
PG_CLUSTER_PORT=""
PG_CLUSTER_LOG=""
PG_CLUSTER_USER=""
PG_CLUSTER_STARTED=0

# Settings for an append-heavy log that must never stall a commit (issue 13): spread the writes of
# checkpoints and autovacuum over time instead of in bursts. Given on the command line at every start
# (scripts/run, scripts/test, scripts/bench, bench/log-cost), so that an existing cluster gets them too.
# wal_compression is added below: lz4 where this PostgreSQL was built with it, else pglz.
PG_WRITE_SETTINGS=(
  # Checkpoints by time, not by WAL volume: at 30k events/s the log writes ~50 MB of WAL a second,
  # so the default 1 GB max_wal_size forced a checkpoint every ~20 s, each syncing everything dirty.
  "checkpoint_timeout=15min"
  "max_wal_size=8GB"
  "min_wal_size=1GB"
  # Each checkpoint's writes spread over 90 % of the interval (the default since 14, stated here).
  "checkpoint_completion_target=0.9"
  # The kernel is asked to write back every 256 kB a checkpoint, the background writer or a backend
  # wrote, so dirty pages never pile up in the page cache for one huge fsync at the checkpoint's end.
  "checkpoint_flush_after=256kB"
  "bgwriter_flush_after=512kB"
  "backend_flush_after=256kB"
  # The background writer cleans more buffers ahead of the backends (which then rarely write one).
  "bgwriter_lru_maxpages=400"
  # Full-page images (the first change of every page after a checkpoint) compressed: fewer WAL bytes.
  # (wal_compression itself: below.)
  # The WAL writer also flushes every 1 MB it wrote (besides every wal_writer_delay, 200 ms), so a commit
  # rarely waits for a large write.
  "wal_writer_flush_after=1MB"
  "wal_buffers=64MB"
  # A new WAL file is made by writing its last byte, not 16 MB of zeros. Until the first checkpoint leaves
  # old WAL files to recycle (and again whenever those run out) every 16 MB of WAL needs a new file, made
  # by the process that first writes into it, holding the WAL write lock: every commit waits meanwhile.
  # Measured on the bench machine: up to ~50 ms per new file (46–48 ms each in one series, every 1.5 s at
  # 11k single events/s; under 15 ms for most in others), bench/RESULTS.md, "The half-rate stalls, found".
  # The trade: WAL writes then allocate the file's blocks, so an fdatasync may also commit file-system
  # metadata (no cost seen: single events/s and commit times were no worse with it off). Durability is the
  # same (fdatasync persists the blocks a write allocates); a full disk shows at a WAL write instead of at
  # a WAL file's creation, and PostgreSQL stops either way.
  "wal_init_zero=off"
  # Autovacuum visits an append-only partition often and briefly (the partitions' own
  # autovacuum_vacuum_insert_threshold: every 100,000 rows), at a paced rate (cost limit 2000 with a
  # 2 ms sleep: ~80 MB/s read at most), instead of dirtying a whole day's table right before a checkpoint.
  "autovacuum_naptime=15s"
  "autovacuum_vacuum_cost_limit=2000"
  "autovacuum_vacuum_cost_delay=2ms"
  # Freezing happens in the same frequent passes (pages all-visible and all-frozen while still
  # cached), not in one anti-wraparound vacuum of every old partition.
  "vacuum_freeze_min_age=1000000"
  # A larger cache for the log's recent partitions and the idempotency table.
  "shared_buffers=512MB"
  # Proof in the server log: every checkpoint (what started it, how long it wrote and synced) and
  # every autovacuum run longer than a second.
  "log_checkpoints=on"
  "log_autovacuum_min_duration=1s"
)

# libpq's environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) from an Npgsql connection
# string such as ConnectionStrings__Postgres ("Host=…;Port=…;Username=…;Password=…;Database=…"), for psql.
pg_env_from_connection_string() {
  local part key value
  local -a parts
  IFS=';' read -r -a parts <<<"$1"
  for part in "${parts[@]}"; do
    [[ "$part" == *=* ]] || continue
    key="$(tr '[:upper:]' '[:lower:]' <<<"${part%%=*}" | tr -d ' ')"
    value="${part#*=}"
    case "$key" in
      host|server) export PGHOST="$value" ;;
      port) export PGPORT="$value" ;;
      username|user|userid) export PGUSER="$value" ;;
      password) export PGPASSWORD="$value" ;;
      database|db) export PGDATABASE="$value" ;;
    esac
  done
}

pg_say() { printf '[postgres] %s\n' "$*" >&2; }
pg_die() { printf '[postgres] error: %s\n' "$*" >&2; return 1; }

# Locate a bin dir holding initdb, pg_ctl and psql. PATH first (a deliberate choice by whoever set
# PATH), then the newest Debian/Ubuntu versioned dir. $1 = required major version (optional).
pg_find_bin() {
  local want="${1:-}" candidate dir ver
  local -a dirs=()
  if candidate="$(command -v initdb 2>/dev/null)"; then
    # Follow symlinks such as /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb, so that
    # pg_ctl/psql come from the same installation (Debian's /usr/bin/psql is a version wrapper).
    dirs+=("$(dirname "$(readlink -f "$candidate")")")
  fi
  while IFS= read -r dir; do dirs+=("$dir"); done < <(
    for dir in /usr/lib/postgresql/*/bin; do if [[ -d "$dir" ]]; then echo "$dir"; fi; done | sort -V -r)
  for dir in "${dirs[@]}"; do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/psql" ]] || continue
    # "pg_ctl (PostgreSQL) 15.18 (Debian ...)": the first number is the major version.
    ver="$("$dir/pg_ctl" --version 2>/dev/null | sed -nE 's/^[^0-9]*([0-9]+).*/\1/p')"
    if [[ -n "$want" && "$ver" != "$want" ]]; then continue; fi
    PG_BIN="$dir"
    return 0
  done
  if [[ -n "$want" ]]; then
    pg_die "no PostgreSQL $want binaries (initdb, pg_ctl, psql) found on PATH or in /usr/lib/postgresql/$want/bin"
  else
    pg_die "PostgreSQL binaries (initdb, pg_ctl, psql) not found on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL 15 (e.g. apt-get install postgresql-15), or set ConnectionStrings__Postgres to an existing server"
  fi
}

# Run a command as the cluster's owner. PostgreSQL refuses to run as root, so as root we drop to
# an unprivileged account; from / so that a cwd the account cannot enter does not trip initdb.
pg_as_owner() {
  if [[ $EUID -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null 2>&1; then
    (cd / && runuser -u "$PG_CLUSTER_USER" -- "$@")
  else
    (cd / && setpriv --reuid="$PG_CLUSTER_USER" --regid="$(id -g "$PG_CLUSTER_USER")" --init-groups -- "$@")
  fi
}

# As root: choose the account that will own and run the cluster, creating `postgres` if needed.
pg_pick_user() {
  local data="$1" owner
  if [[ $EUID -ne 0 ]]; then
    PG_CLUSTER_USER="$(id -un)"
    return 0
  fi
  if [[ -n "${FLEXPRICE_PG_USER:-}" ]]; then
    PG_CLUSTER_USER="$FLEXPRICE_PG_USER"
  elif [[ -f "$data/PG_VERSION" ]] && owner="$(stat -c %U "$data")" && [[ "$owner" != root && "$owner" != UNKNOWN ]]; then
    # An existing cluster keeps working for whoever created it (e.g. first run as a normal user).
    PG_CLUSTER_USER="$owner"
  else
    PG_CLUSTER_USER=postgres
  fi
  if ! id -u "$PG_CLUSTER_USER" >/dev/null 2>&1; then
    if [[ "$PG_CLUSTER_USER" == postgres ]] && command -v useradd >/dev/null 2>&1; then
      pg_say "creating system user 'postgres' to run PostgreSQL (it refuses to run as root)"
      useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres \
        || pg_die "could not create user 'postgres'; create an unprivileged user and set FLEXPRICE_PG_USER to it" || return 1
    else
      pg_die "user '$PG_CLUSTER_USER' does not exist; PostgreSQL cannot run as root, so create an unprivileged user and set FLEXPRICE_PG_USER" || return 1
    fi
  fi
}

# Fail with a useful message when the owner cannot reach DIR (typically a repo under /root, 0700).
pg_check_reachable() {
  local dir="$1" p
  if pg_as_owner test -d "$dir" -a -x "$dir" -a -w "$dir"; then return 0; fi
  p="$dir"
  local -a chain=()
  while [[ "$p" != / ]]; do chain=("$p" "${chain[@]}"); p="$(dirname "$p")"; done
  for p in "${chain[@]}"; do
    if ! pg_as_owner test -x "$p"; then
      pg_die "PostgreSQL runs as user '$PG_CLUSTER_USER', which cannot enter $p ($(stat -c '%A %U' "$p")). Put the repo somewhere that user can reach, set FLEXPRICE_PG_DIR to a directory under /tmp, or set ConnectionStrings__Postgres to an existing server."
      return 1
    fi
  done
  pg_die "PostgreSQL runs as user '$PG_CLUSTER_USER', which cannot write to $dir ($(stat -c '%A %U' "$dir")); remove it or chown it to $PG_CLUSTER_USER"
}

# Print a port nobody listens on right now. A tiny race with other processes remains; acceptable
# for a test database (pg_ctl start fails loudly if it loses).
pg_free_port() {
  if command -v python3 >/dev/null 2>&1 &&
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null; then
    return 0
  fi
  local port _
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 30000))
    # Connection refused means nobody listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  pg_die "could not find a free TCP port"
}

# Echo the PID of a live postmaster serving DATA, or fail. pg_ctl status trusts postmaster.pid;
# after a crash the PID may have been reused by an unrelated process (common in containers), so we
# also check that the process sits in our data dir (a postmaster's cwd is its data directory).
pg_running_pid() {
  local data="$1" pid
  [[ -f "$data/postmaster.pid" ]] || return 1
  pg_as_owner "$PG_BIN/pg_ctl" status -D "$data" >/dev/null 2>&1 || return 1
  pid="$(head -n1 "$data/postmaster.pid" 2>/dev/null)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  local state cwd
  # A postmaster killed with -9 lingers as a zombie until reaped, and kill -0 still succeeds.
  state="$(sed -E 's/.*\) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1 || true)"
  if [[ "$state" == Z ]]; then echo "$pid"; return 2; fi
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null || true)"
  # Empty: we may not inspect that process; then pg_ctl's word is all we have.
  if [[ -n "$cwd" && "$(readlink -f "$cwd")" != "$(readlink -f "$data")" ]]; then echo "$pid"; return 2; fi
  echo "$pid"
}

pg_psql() {
  PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_CLUSTER_PORT" -U postgres "$@"
}

# pg_cluster_start DIR PORT [run|test]
pg_cluster_start() {
  local dir="$1" port="$2" mode="${3:-run}"
  local data sock opts ver pid
  [[ "$port" =~ ^[0-9]+$ ]] || { pg_die "invalid port '$port'"; return 1; }
  # pg_ctl hands -o to a shell, and the values below are single-quoted there.
  [[ "$dir" != *"'"* ]] || { pg_die "the cluster path must not contain a single quote: $dir"; return 1; }

  # Created parents must be traversable by the (possibly different) server account.
  (umask 022 && mkdir -p "$dir") || { pg_die "cannot create $dir"; return 1; }
  dir="$(cd "$dir" && pwd -P)"
  data="$dir/data"
  sock="$dir/run"
  PG_CLUSTER_DIR="$dir"
  PG_CLUSTER_LOG="$dir/postgres.log"

  # An existing cluster must be served by binaries of its own major version.
  if [[ -f "$data/PG_VERSION" ]]; then
    ver="$(cat "$data/PG_VERSION")"
    pg_find_bin "$ver" || return 1
  else
    if [[ -d "$data" ]] && [[ -n "$(ls -A "$data" 2>/dev/null)" ]]; then
      pg_die "$data exists but is not a PostgreSQL data directory (no PG_VERSION); remove it and retry"
      return 1
    fi
    pg_find_bin || return 1
  fi
  pg_pick_user "$data" || return 1

  if [[ $EUID -eq 0 && "$(stat -c %U "$dir")" != "$PG_CLUSTER_USER" && -z "$(ls -A "$dir")" ]]; then
    # Hand over the cluster's own (new, empty) directory, never one that already holds something:
    # FLEXPRICE_PG_DIR might point at a shared place.
    chown "$PG_CLUSTER_USER:" "$dir" || return 1
  fi
  pg_check_reachable "$dir" || return 1
  pg_as_owner mkdir -p "$sock" || return 1

  if [[ ! -f "$data/PG_VERSION" ]]; then
    pg_say "initialising a new cluster in $data ($("$PG_BIN/pg_ctl" --version))"
    if ! pg_as_owner "$PG_BIN/initdb" -D "$data" --auth=trust -U postgres --encoding=UTF8 --no-locale \
      >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      pg_die "initdb failed (log above)"
      return 1
    fi
    rm -f "$dir/initdb.log"
  fi

  local running=0
  pid="$(pg_running_pid "$data")" || running=$?
  if [[ $running -eq 0 ]]; then
    # Someone (an earlier scripts/run, another terminal) already serves this data dir: use it, and
    # leave it running when we exit. Its port is line 4 of postmaster.pid.
    PG_CLUSTER_PORT="$(sed -n 4p "$data/postmaster.pid")"
    if [[ "$PG_CLUSTER_PORT" != "$port" ]]; then
      pg_say "note: the running server listens on port $PG_CLUSTER_PORT, not $port; using it"
    fi
    pg_say "reusing the PostgreSQL already running on $data (pid $pid, port $PG_CLUSTER_PORT)"
    PG_CLUSTER_STARTED=0
  else
    if [[ $running -eq 2 ]]; then
      # Left behind by a crash, and its PID is now a zombie or another process of the same user:
      # the cases PostgreSQL itself takes for a live postmaster. (Other stale pid files we leave to
      # PostgreSQL, which also checks for orphaned backends before reusing the data directory.)
      pg_say "removing stale lock files of dead postmaster $pid"
      pg_as_owner rm -f "$data/postmaster.pid" || return 1
      local lock
      for lock in "$sock"/.s.PGSQL.*.lock; do
        if [[ -f "$lock" && "$(head -n1 "$lock")" == "$pid" ]]; then pg_as_owner rm -f "$lock"; fi
      done
    fi
    # Unix socket paths are limited to ~107 bytes; deep checkouts go TCP-only rather than fail.
    if (( ${#sock} + 20 > 100 )); then sock=""; fi
    opts="-c listen_addresses='127.0.0.1' -p $port -k '$sock' -c max_connections=300"
    local setting
    for setting in "${PG_WRITE_SETTINGS[@]}"; do opts+=" -c $setting"; done
    if "$PG_BIN/pg_config" --configure 2>/dev/null | grep -q -- '--with-lz4'; then opts+=" -c wal_compression=lz4"; else opts+=" -c wal_compression=pglz"; fi
    if [[ "$mode" == test ]]; then
      # Throwaway data: survive process crashes (the WAL is still written), skip the disk flushes.
      opts+=" -c fsync=off -c full_page_writes=off"
    fi
    PG_CLUSTER_PORT="$port"
    pg_say "starting PostgreSQL on 127.0.0.1:$port (log: $PG_CLUSTER_LOG)"
    local attempt
    for attempt in 1 2 3 4 5 6; do
      if pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -l "$PG_CLUSTER_LOG" -w -t 60 -o "$opts" start >/dev/null 2>&1; then
        break
      fi
      # After a kill -9 of the postmaster its children exit within moments, but until they have,
      # PostgreSQL rightly refuses to reuse the data directory. Give them a few seconds.
      if (( attempt < 6 )) && tail -n 5 "$PG_CLUSTER_LOG" 2>/dev/null | grep -q 'pre-existing shared memory block'; then
        sleep 2
        continue
      fi
      tail -n 20 "$PG_CLUSTER_LOG" >&2 2>/dev/null || true
      pg_die "PostgreSQL did not start (log tail above: $PG_CLUSTER_LOG). If port $port is taken, set FLEXPRICE_PG_PORT to another port."
      return 1
    done
    PG_CLUSTER_STARTED=1
  fi

  if [[ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'flexprice'")" != 1 ]]; then
    pg_psql -d postgres -c 'CREATE DATABASE flexprice' || { pg_die "could not create database flexprice"; return 1; }
  fi

  export ConnectionStrings__Postgres="Host=127.0.0.1;Port=$PG_CLUSTER_PORT;Username=postgres;Database=flexprice"
}

# Stop the server if (and only if) pg_cluster_start started it. Safe to call twice, and from traps.
pg_cluster_stop() {
  [[ "$PG_CLUSTER_STARTED" == 1 ]] || return 0
  PG_CLUSTER_STARTED=0
  local data="$PG_CLUSTER_DIR/data"
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  fi
  pg_say "stopped PostgreSQL on port $PG_CLUSTER_PORT"
}

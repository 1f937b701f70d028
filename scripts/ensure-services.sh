#!/usr/bin/env bash
# Makes sure the real services and tools the tests talk to are installed and running (CI may start with them stopped,
# and a new machine has none of the Debian packages below). Idempotent and quiet when everything is already there.
set -euo pipefail

log() { printf 'ensure-services: %s\n' "$*"; }

# Debian packages the tests need: PgBouncer, Redis, a Celery worker (Debian's interpreter sees these), Chromium,
# xmllint (JUnit schema validation), promtool (the Prometheus output is checked with it), pgBackRest (restore drills).
PACKAGES=(pgbouncer redis-tools redis-server python3-celery python3-redis chromium libxml2-utils prometheus pgbackrest)

ensure_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then log "missing packages ${missing[*]}: install them (apt-get install ${missing[*]})"; exit 1; fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts pgbouncer's own service on install; tests start private instances, so stop the packaged one.
  if command -v service >/dev/null 2>&1; then
    service pgbouncer stop >/dev/null 2>&1 || true
    service prometheus stop >/dev/null 2>&1 || true
  fi
}

wait_for() { # name, command, [tries of 0.2 s]
  for _ in $(seq 1 "${3:-150}"); do eval "$2" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$1 did not come up"; exit 1
}

ensure_postgres() {
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && return
  log "PostgreSQL on 127.0.0.1:5432 is not answering; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  wait_for PostgreSQL 'pg_isready -q -h 127.0.0.1 -p 5432'
}

ensure_redis() {
  redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && return
  log "Redis on 127.0.0.1:6379 is not answering; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for Redis 'redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG'
}

ensure_rabbitmq() {
  (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && return
  log "RabbitMQ on 127.0.0.1:5672 is not answering; starting it"
  rabbitmq-server -detached
  wait_for RabbitMQ '(exec 3<>/dev/tcp/127.0.0.1/5672)' 600
}

ensure_packages
ensure_postgres
ensure_redis
ensure_rabbitmq

#!/usr/bin/env bash
# Makes sure the real services the tests talk to are installed and running (CI may start with them stopped).
# Idempotent and quiet when everything is already up. Needs root only when something must be started or installed.
set -euo pipefail

log() { printf 'ensure-services: %s\n' "$*"; }

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
  log "PostgreSQL on 127.0.0.1:5432 is not answering; starting it"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  else
    log "no pg_ctlcluster here: start PostgreSQL on 127.0.0.1:5432 (trust auth) yourself"; exit 1
  fi
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && return; sleep 0.2; done
  log "PostgreSQL did not come up"; exit 1
}

ensure_postgres

#!/usr/bin/env bash
# Start PostgreSQL and Redis on 127.0.0.1 if they are installed but stopped.
#   services.sh            try to start them (never fails)
#   services.sh --check    exit 0 only if both answer
#   services.sh --check-postgres   exit 0 only if PostgreSQL answers
set -u
pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
case "${1:-}" in
  --check) pg_up && redis_up; exit $? ;;
  --check-postgres) pg_up; exit $? ;;
esac
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start 2>/dev/null || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null 2>&1 || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
exit 0

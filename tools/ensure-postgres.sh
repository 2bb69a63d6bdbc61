#!/usr/bin/env bash
# Start the local PostgreSQL cluster when it is not answering on 127.0.0.1:5432 (tests run against it).
set -euo pipefail
ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ready; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 30); do
  if ready; then echo "PostgreSQL listo en 127.0.0.1:5432"; exit 0; fi
  sleep 1
done
echo "ADVERTENCIA: PostgreSQL no responde en 127.0.0.1:5432; las pruebas de PostgreSQL fallarán (CI) o se omitirán" >&2

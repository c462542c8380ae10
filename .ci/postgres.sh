#!/usr/bin/env bash
# PostgreSQL 15 from Debian's packages, for the shared-ledger tests: tests/pg_server.py starts a
# throwaway server from /usr/lib/postgresql/15/bin on a free port; nothing is started here.
# Quiet on success; apt's errors still reach stderr.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
echo "== PostgreSQL 15 (Debian's package) for the shared-ledger tests"
apt-get -qq update
apt-get install -y -qq postgresql > /dev/null

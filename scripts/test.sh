#!/usr/bin/env bash
# Install everything and run the test suite (the README's second command).
# The whole suite runs on SQLite; the database-facing tests run again on PostgreSQL when a server
# answers at TEST_PG_URL (default: the local server with trust auth, database "test").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
if [ "$#" -eq 0 ]; then
  echo "--- archive and demo tests again with the tantivy search backend"
  ARCHIVE_SEARCH_BACKEND=tantivy .venv/bin/python -m pytest -q -p no:cacheprovider tests/archive tests/test_demo_archive.py
fi
PG_URL=${TEST_PG_URL:-postgresql://root@127.0.0.1:5432/test}
if [ "$#" -eq 0 ] && .venv/bin/python -c "import sys, psycopg; psycopg.connect('$PG_URL', connect_timeout=3).close()" 2>/dev/null; then
  echo "--- again on PostgreSQL ($PG_URL)"
  TEST_DATABASE_URL="$PG_URL" .venv/bin/python -m pytest -q -p no:cacheprovider tests/archive
else
  echo "--- PostgreSQL pass skipped (no server at $PG_URL)"
fi

#!/usr/bin/env bash
# Install everything and run the test suite (the README's second command).
#
# With no arguments: the whole suite on SQLite (Whoosh index); the archive and demo tests again with the
# tantivy backend; then, when a PostgreSQL server answers at TEST_PG_URL (default: the local server with
# trust auth, database "test"), the suite again on PostgreSQL and the archive and demo tests with the
# PostgreSQL full-text backend. The later passes leave out what cannot differ there: tests marked no_database
# (indexer/, uploads/, textlang/, static checks) and own_databases (already run on both databases).
# Arguments are passed to a single pytest run instead.
# TEST_WORKERS (default 2) sets the pytest-xdist processes; each gets its own PostgreSQL database.
#
# --quick: the loop while working — no setup (run the full command once first), tests not marked slow, SQLite
# only (TEST_PG_URL=none skips the modules that would open PostgreSQL databases of their own). A few minutes;
# run the full command before you push.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider -n "${TEST_WORKERS:-2}" --dist loadfile)
if [ "${1:-}" = "--quick" ]; then
  shift
  [ -x .venv/bin/python ] || { echo "No .venv yet: run scripts/test.sh (the full command) once first." >&2; exit 2; }
  SECONDS=0
  env -u TEST_DATABASE_URL TEST_PG_URL=none "${PYTEST[@]}" -m "not slow" "$@"
  echo "--- quick run done in ${SECONDS} s"
  exit 0
fi
bash scripts/setup.sh --test
SECONDS=0
"${PYTEST[@]}" "$@"
[ "$#" -eq 0 ] || exit 0
echo "--- [$((SECONDS / 60)) min] archive and demo tests again with the tantivy search backend"
ARCHIVE_SEARCH_BACKEND=tantivy "${PYTEST[@]}" -m "not no_database" tests/archive tests/test_demo_archive.py
PG_URL=${TEST_PG_URL:-postgresql://root@127.0.0.1:5432/test}
if .venv/bin/python -c "import psycopg; psycopg.connect('$PG_URL', connect_timeout=3).close()" 2>/dev/null; then
  echo "--- [$((SECONDS / 60)) min] the suite again on PostgreSQL ($PG_URL), what can differ there"
  TEST_DATABASE_URL="$PG_URL" "${PYTEST[@]}" -m "not own_databases and not no_database"
  echo "--- [$((SECONDS / 60)) min] archive and demo tests with the PostgreSQL full-text search backend"
  TEST_DATABASE_URL="$PG_URL" ARCHIVE_SEARCH_BACKEND=postgres "${PYTEST[@]}" -m "not no_database" \
    tests/archive tests/test_demo_archive.py
else
  echo "--- PostgreSQL passes skipped (no server at $PG_URL)"
fi
echo "--- all passes done in $((SECONDS / 60)) min"

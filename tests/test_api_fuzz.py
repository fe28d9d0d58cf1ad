"""Schemathesis against the served app: every JSON API operation, generated inputs, no 5xx, answers match the schema.

The app runs for real (``manage.py serve``) on a temporary data folder filled by ``manage.py demo``; the schema is
loaded from its own ``/api/openapi.json``. Each operation gets a bounded number of generated cases.
"""
import os
import subprocess
import sys

import pytest
import requests

from support import served_env, REPO, start_server, stop_server

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import (content_type_conformance, not_a_server_error,  # noqa: E402
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)

from archive.openapi import openapi_document  # noqa: E402

pytestmark = pytest.mark.slow

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "30"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
PATHS = sorted(openapi_document()["paths"])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("api-fuzz")
    env = served_env(data)
    out = subprocess.run([sys.executable, "manage.py", "demo"], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    base, proc = start_server(env)
    yield base
    stop_server(proc)


@pytest.fixture(scope="module")
def schema(site):
    return schemathesis.openapi.from_url(site + "/api/openapi.json")


@pytest.fixture(scope="module")
def http():
    with requests.Session() as s:
        yield s


def test_schema_is_served_and_describes_every_path(site, schema):
    doc = requests.get(site + "/api/openapi.json", timeout=10).json()
    assert sorted(doc["paths"]) == PATHS
    assert doc["servers"][0]["url"] == site


@pytest.mark.parametrize("path", PATHS)
def test_operation_never_fails_and_matches_its_schema(site, schema, http, path):
    operation = schema[path]["GET"]

    @settings(max_examples=MAX_EXAMPLES * (3 if path == "/api/search" else 1), deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        # Redirects (a merged person) are checked as answered, not followed.
        case.call_and_validate(base_url=site, session=http, checks=CHECKS, allow_redirects=False, timeout=30)

    run()


def test_known_records_are_fuzzed_too(site, schema, http):
    """Random ids mostly hit 404s; fetch real ids from the lists and check their detail answers as well."""
    ids = {
        "/api/people/{person_id}": [p["id"] for p in http.get(site + "/api/people?limit=100").json()["items"]],
        "/api/volumes/{volume_id}": [v["id"] for v in http.get(site + "/api/volumes?limit=100").json()["items"]],
        "/api/topics/{slug}": [t["slug"] for t in http.get(site + "/api/topics?limit=100").json()["items"]],
        "/api/years/{year}": [y["year"] for y in http.get(site + "/api/years?limit=100").json()["items"]],
        "/api/publications/{pub_id}": [h["id"] for h in
                                       http.get(site + "/api/search?q=&limit=100").json()["hits"]],
    }
    assert all(ids.values()), ids
    for path, values in ids.items():
        name = path.split("{")[1].rstrip("}")
        operation = schema[path]["GET"]
        for value in values[:10]:
            @settings(max_examples=3, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(path_parameters={name: value}))
            def run(case):
                response = case.call_and_validate(base_url=site, session=http, checks=CHECKS,
                                                  allow_redirects=False, timeout=30)
                assert response.status_code == 200, (path, value, response.text[:300])

            run()

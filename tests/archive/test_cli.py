"""manage.py commands through Click's runner: exit codes and what a person reads."""
import json

from support import KK_ARTICLE, RU_ARTICLE, make_pdf


def test_ingest_json_reports_each_file_and_goes_on_after_errors(runner, tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    make_pdf(folder / "a_ru.pdf", RU_ARTICLE)
    (folder / "b_bad.pdf").write_bytes(b"<html>nope</html>")
    make_pdf(folder / "c_kk.pdf", KK_ARTICLE)
    r = runner.invoke(args=["ingest", str(folder), "--publish", "--json"])
    assert r.exit_code == 1
    lines = [json.loads(x) for x in r.output.strip().splitlines()]
    assert [x["file"] for x in lines] == ["a_ru.pdf", "b_bad.pdf", "c_kk.pdf"]
    assert [x["status"] for x in lines] == ["ok", "error", "ok"]
    assert lines[1]["error"] and lines[1]["publication_ids"] == []
    assert all(set(x) == {"file", "status", "publication_ids", "error"} for x in lines)
    # Re-running resumes: the stored files are duplicates, exit 1 only because of the bad one.
    again = [json.loads(x) for x in runner.invoke(args=["ingest", str(folder), "--json"]).output.splitlines()]
    assert [x["status"] for x in again] == ["duplicate", "error", "duplicate"]


def test_ingest_all_good_exits_zero_and_search_finds(runner, tmp_path):
    path = make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)
    r = runner.invoke(args=["ingest", str(path), "--publish"])
    assert r.exit_code == 0, r.output
    import re

    assert re.search(r"^\s+ok\s+1$", r.output, re.M) and re.search(r"^\s+failed\s+0$", r.output, re.M)
    r = runner.invoke(args=["search", "межэтническими", "--json"])
    data = json.loads(r.output)
    assert data["total"] == 1 and data["hits"][0]["source_file"] == "ru.pdf"
    r = runner.invoke(args=["search", "озёрам", "--limit", "3"])
    assert "1 result" in r.output and "*озёра*" in r.output


def test_search_command_asks_the_index_for_no_facet_counts(runner, app, tmp_path, monkeypatch):
    """The command prints hits and snippets, no facets: the index is not asked to count them."""
    runner.invoke(args=["ingest", str(make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)), "--publish"])
    backend = app.extensions["archive"].search
    real, asked = backend.search, []
    monkeypatch.setattr(backend, "search", lambda *a, **k: asked.append(k.get("facets", True)) or real(*a, **k))
    r = runner.invoke(args=["search", "межэтническими", "--json"])
    assert json.loads(r.output)["total"] == 1 and asked == [False]


def test_ingest_missing_path_is_an_error_line(runner, tmp_path):
    r = runner.invoke(args=["ingest", str(tmp_path / "nope.pdf"), "--json"])
    assert r.exit_code == 1 and json.loads(r.output)["error"] == "No such file or folder."


def test_reindex_and_init(runner, tmp_path):
    runner.invoke(args=["ingest", str(make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)), "--publish"])
    r = runner.invoke(args=["reindex"])
    assert r.exit_code == 0 and "Indexed 1 publication" in r.output
    assert runner.invoke(args=["init"]).exit_code == 0


def test_create_user_validates_and_creates(runner):
    r = runner.invoke(args=["create-user", "ed@example.kz", "--role", "editor", "--password", "a-long-password"])
    assert r.exit_code == 0 and "Created editor ed@example.kz" in r.output
    r = runner.invoke(args=["create-user", "ed@example.kz", "--password", "a-long-password"])
    assert r.exit_code != 0 and "already exists" in r.output
    r = runner.invoke(args=["create-user", "x@example.kz", "--password", "short"])
    assert r.exit_code != 0 and "at least 10" in r.output


def test_bridge_command_counts_links_and_shows_one_word(runner):
    r = runner.invoke(args=["bridge"])
    assert r.exit_code == 0, r.output
    counts = {line.split()[0]: int(line.split()[1]) for line in r.output.splitlines() if line.strip()}
    assert counts["glossary"] >= 300 and counts["topic"] > 0 and counts["total"] >= counts["glossary"]
    r = runner.invoke(args=["bridge", "келісімі"])            # any form finds the link of the lemma
    assert r.exit_code == 0 and "согласие" in r.output and "glossary" in r.output


def test_worker_starts_its_slow_lane_before_its_own_start_up(runner, monkeypatch):
    """`manage.py worker` starts the slow lane's process first, so a scan does not wait for the quick lane's
    start-up (re-queueing, index catch-up, loading the extraction's models) before its OCR begins."""
    import contextlib
    from types import SimpleNamespace

    from archive import cli_members

    events = []

    @contextlib.contextmanager
    def child(enabled, *args):
        events.append(("child started", enabled, args))
        yield
        events.append(("child stopped",))

    def startup(app):
        events.append(("start-up",))
        return {"requeued": [], "indexed": 0, "warm_s": 0.0}

    def consumer(**options):
        return SimpleNamespace(run=lambda: events.append(("quick lane consuming", options["workers"])))

    quick = SimpleNamespace(immediate=False, storage=SimpleNamespace(filename="jobs.sqlite3"),
                            create_consumer=consumer)
    monkeypatch.setattr(cli_members, "get_jobs", lambda app: SimpleNamespace(huey=quick))
    monkeypatch.setattr(cli_members, "manage_child", child)
    monkeypatch.setattr(cli_members, "worker_startup", startup)
    r = runner.invoke(args=["worker", "--workers", "3"])
    assert r.exit_code == 0, r.output
    assert events == [("child started", True, ("worker", "--lane", "slow")), ("start-up",),
                      ("quick lane consuming", 3), ("child stopped",)]


def test_search_says_why_it_finds_nothing_when_the_index_is_empty(runner, app, tmp_path):
    """A search backend changed, or an index folder lost, without ``reindex``: every search finds nothing. The
    command says why and what to run, on stderr (``--json`` stays JSON); once rebuilt, or where a search merely
    finds nothing, no such line."""
    runner.invoke(args=["ingest", str(make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)), "--publish"])
    app.extensions["archive"].search.clear()
    r = runner.invoke(args=["search", "межэтническими", "--json"])
    assert json.loads(r.stdout)["total"] == 0
    assert "holds no documents" in r.stderr and "manage.py reindex" in r.stderr
    assert runner.invoke(args=["reindex"]).exit_code == 0
    r = runner.invoke(args=["search", "межэтническими", "--json"])
    assert json.loads(r.stdout)["total"] == 1 and "holds no documents" not in r.stderr
    r = runner.invoke(args=["search", "кашалоты"])
    assert "0 result" in r.stdout and "holds no documents" not in r.stderr


def test_empty_index_notice_only_where_published_publications_are_missing(app, archive, runner, tmp_path,
                                                                          monkeypatch):
    from archive.services.consistency import empty_index_notice

    asked = []
    monkeypatch.setattr(archive.search, "is_empty", lambda: asked.append(1) or True)
    assert empty_index_notice(archive) is None and asked == []     # nothing published: the index is not asked
    monkeypatch.undo()
    runner.invoke(args=["ingest", str(make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)), "--publish"])
    assert not archive.search.is_empty() and empty_index_notice(archive) is None
    archive.search.clear()
    assert archive.search.is_empty() and "holds no documents" in empty_index_notice(archive)

    def unreadable():
        raise OSError("damaged")
    monkeypatch.setattr(archive.search, "is_empty", unreadable)
    assert empty_index_notice(archive) is None               # an unreadable index is for `check` to report


def test_serve_warns_before_it_serves_an_empty_index(runner, app, tmp_path, monkeypatch):
    """``serve`` says so at start when the index holds nothing the database publishes; the workers open their own
    index, so the server's process lets go of its handle and connections before it forks them."""
    import archive.cli as cli

    runner.invoke(args=["ingest", str(make_pdf(tmp_path / "ru.pdf", RU_ARTICLE)), "--publish"])
    closed, served = [], []
    archive = app.extensions["archive"]
    real_close = archive.close
    monkeypatch.setattr(archive, "close", lambda: closed.append(1) or real_close())
    monkeypatch.setattr(cli, "claim_port", lambda host, port: None)
    monkeypatch.setattr(cli, "run_gunicorn", lambda *a, **k: served.append(len(closed)))
    r = runner.invoke(args=["serve", "--no-jobs"])
    assert r.exit_code == 0 and served == [1] and "holds no documents" not in r.stderr
    archive.search.clear()
    r = runner.invoke(args=["serve", "--no-jobs"])
    assert r.exit_code == 0 and served == [1, 2]
    assert "Warning: The search index" in r.stderr and "manage.py reindex" in r.stderr

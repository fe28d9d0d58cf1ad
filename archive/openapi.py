"""The OpenAPI 3.0 description of the JSON API (served at ``/api/openapi.json``).

Kept by hand next to ``archive/views/api.py``; tests check that every route of the ``api`` blueprint is described
and schemathesis checks the answers against these schemas.
"""
from __future__ import annotations

from typing import Any, Optional

from .ids import MAX_ID

JSON = "application/json"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _obj(props: dict, required: Optional[list[str]] = None) -> dict:
    return {"type": "object", "properties": props, "required": list(props) if required is None else required}


STR = {"type": "string"}
INT = {"type": "integer"}
URL = {"type": "string", "format": "uri"}


def _schemas() -> dict[str, Any]:
    collection = _nullable(_obj({"id": INT, "title": STR}))
    publication = _obj({
        "id": INT, "url": URL, "title": STR,
        "authors": {"type": "array", "items": STR},
        "year": _nullable(INT), "language": _nullable(STR), "kind": STR,
        "collection": collection, "pages": _nullable(STR), "source_file": _nullable(STR),
    })
    search_hit = {"allOf": [_ref("Publication"), _obj({
        "score": {"type": "number"}, "snippet": STR, "page": _nullable(INT), "printed_page": _nullable(STR),
        "partial": {"type": "boolean"}, "translated": {"type": "boolean"}}, ["score", "snippet", "partial"])]}
    detail = {"allOf": [_ref("Publication"), _obj({
        "status": {"type": "string", "enum": ["published", "withdrawn"]},
        "titles": {"type": "object"}, "abstracts": {"type": "object"},
        "keywords": {"type": "array", "items": {}},
        "udc": _nullable(STR), "bbk": _nullable(STR), "isbn": _nullable(STR), "doi": _nullable(STR),
        "authors_detail": {"type": "array", "items": _obj({
            "id": INT, "name": STR, "as_printed": STR, "affiliation": _nullable(STR)})},
        "files": _obj({"original": _nullable(URL), "pdf": _nullable(URL)}),
        "references": {"type": "array", "items": _obj({
            "position": INT, "raw": STR, "authors": {"type": "array", "items": STR}, "title": STR, "container": STR,
            "year": _nullable(INT), "pages": STR, "doi": STR, "url": STR,
            "parse_status": {"type": "string", "enum": ["parsed", "partial", "unparsed"]},
            "target": _nullable(_obj({"id": INT, "url": URL,
                                      "link_status": {"type": "string", "enum": ["auto", "confirmed"]}}))})},
        "cited_by": {"type": "array", "items": _obj({"id": INT, "url": URL, "title": STR, "year": _nullable(INT)})},
    }, ["status", "titles", "abstracts", "keywords", "udc", "bbk", "isbn", "doi", "authors_detail", "files"])]}
    paging = {"total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
              "limit": {"type": "integer", "minimum": 1, "maximum": 100}}

    def page_of(item: dict, extra: Optional[dict] = None, extra_required: Optional[list[str]] = None) -> dict:
        props = {**(extra or {}), **paging, "items": {"type": "array", "items": item}}
        required = [*(extra_required if extra_required is not None else list(extra or {})), *paging, "items"]
        return _obj(props, required)

    person = {"id": INT, "name": STR, "name_latin": _nullable(STR), "url": URL, "api_url": URL}
    topic = {"slug": STR, "labels": _obj({"ru": STR, "kk": STR, "en": STR}), "url": URL,
             "count": {"type": "integer", "minimum": 0}}
    volume = {"id": INT, "title": STR, "event": _nullable(STR), "place": _nullable(STR), "year": _nullable(INT),
              "dates": _nullable(STR), "isbn": _nullable(STR), "publisher": _nullable(STR),
              "editors": {"type": "array", "items": {}}, "url": URL, "api_url": URL,
              "article_count": {"type": "integer", "minimum": 0}}
    return {
        "Error": _obj({"error": STR}),
        "Collection": collection,
        "Publication": publication,
        "SearchHit": search_hit,
        "PublicationDetail": detail,
        "SearchPage": _obj({
            "query": STR, "total": {"type": "integer", "minimum": 0}, "page": {"type": "integer", "minimum": 1},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100}, "relaxed": {"type": "boolean"},
            "suggestion": _nullable(STR), "hits": {"type": "array", "items": _ref("SearchHit")},
            "facets": {"type": "object", "additionalProperties": {"type": "object"}},
            "notices": {"type": "array", "items": STR}, "partial_from": _nullable(INT),
            "facets_approximate": {"type": "boolean"},
            "translation": _obj({
                "enabled": {"type": "boolean"}, "found": {"type": "integer", "minimum": 0},
                "languages": {"type": "array", "items": {"type": "string", "enum": ["ru", "kk"]}},
                "terms": {"type": "array", "items": _obj({
                    "words": {"type": "array", "items": STR}, "from": STR, "to": STR, "counterpart": STR,
                    "confidence": {"type": "number"}})}}),
        }),
        "PersonSummary": _obj({**person, "publications": {"type": "integer", "minimum": 0}}),
        "PeoplePage": page_of(_ref("PersonSummary")),
        "PersonProfile": page_of(_ref("Publication"), {
            **person, "names": {"type": "array", "items": STR}, "degree": _nullable(STR),
            "position": _nullable(STR), "institution": _nullable(STR), "bio": _nullable(STR),
            "press_contact": _nullable(STR), "is_member": {"type": "boolean"},
            "topics": {"type": "array", "items": _ref("TopicSummary")}}),
        "VolumeSummary": _obj(volume),
        "VolumesPage": page_of(_ref("VolumeSummary")),
        "VolumeDetail": page_of(_ref("Publication"), {**volume, "book": _nullable(_ref("Publication"))}),
        "TopicSummary": _obj(topic),
        "TopicsPage": page_of(_ref("TopicSummary")),
        "TopicDetail": page_of(_ref("Publication"), topic),
        "YearCount": _obj({"year": INT, "count": {"type": "integer", "minimum": 1}, "url": URL}),
        "YearsPage": page_of(_ref("YearCount"), {
            "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}}),
        "YearDetail": page_of(_ref("Publication"), {"year": INT}),
    }


def _param(name: str, schema: dict, where: str = "query", description: str = "", **extra) -> dict:
    out = {"name": name, "in": where, "required": where == "path", "schema": schema, **extra}
    if description:
        out["description"] = description
    return out


PAGE = _param("page", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1},
              description="1-based page; out-of-range values are clamped")
LIMIT = _param("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
               description="items per page (1..100); out-of-range values are clamped")
YEAR = {"type": "integer", "minimum": 0, "maximum": 9999}


def _ok(schema: str, description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


NOT_FOUND = {"description": "No such record, or it is not public", "content": {JSON: {"schema": _ref("Error")}}}


def _get(summary: str, schema: str, params: list[dict], not_found: bool = False, op_id: str = "",
         extra: Optional[dict] = None) -> dict:
    responses = {"200": _ok(schema, summary)}
    if not_found:
        responses["404"] = NOT_FOUND
    responses.update(extra or {})
    return {"get": {"operationId": op_id, "summary": summary, "parameters": params, "responses": responses}}


def _id_param(name: str) -> dict:
    return _param(name, {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "path")


def openapi_document(server_url: Optional[str] = None) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document for every ``/api`` route."""
    search_params = [
        _param("q", {"type": "string", "maxLength": 500}, description="query text (any syntax is accepted)"),
        PAGE | {"schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 1}},
        {**LIMIT, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10}},
        _param("sort", {"type": "string", "enum": ["relevance", "newest", "oldest"], "default": "relevance"}),
        _param("xl", {"type": "string", "enum": ["0", "1"], "default": "1"},
               description="0: do not also search the query's Russian/Kazakh counterparts (the term bridge)"),
        _param("from", YEAR, description="first year"),
        _param("to", YEAR, description="last year"),
        _param("year", YEAR, description="one year (from = to = year)"),
        _param("lang", {"type": "array", "items": {"type": "string", "enum": ["ru", "kk", "en"]}},
               style="form", explode=True),
        _param("kind", {"type": "array", "items": {"type": "string", "enum": ["article", "volume", "report",
                                                                             "commentary", "event"]}},
               style="form", explode=True),
        _param("volume", {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
               style="form", explode=True, description="collection (volume) id"),
        _param("topic", {"type": "array", "items": {"type": "string", "maxLength": 100}},
               style="form", explode=True, description="topic slug"),
        _param("person", {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
               style="form", explode=True, description="person id"),
    ]
    paths = {
        "/api/search": _get("Full-text search over published publications", "SearchPage", search_params,
                            op_id="search"),
        "/api/publications/{pub_id}": _get("One publication (published, or withdrawn as a tombstone)",
                                           "PublicationDetail", [_id_param("pub_id")], True, "publication"),
        "/api/people": _get("People with published work, in alphabetical order", "PeoplePage", [PAGE, LIMIT],
                            op_id="people"),
        "/api/people/{person_id}": _get(
            "A person's profile and publications", "PersonProfile", [_id_param("person_id"), PAGE, LIMIT], True,
            "person", {"301": {"description": "The person was merged into another record (see Location)"}}),
        "/api/volumes": _get("Volumes (collections) with published content, newest first", "VolumesPage",
                             [PAGE, LIMIT], op_id="volumes"),
        "/api/volumes/{volume_id}": _get("A volume and its published articles in page order", "VolumeDetail",
                                         [_id_param("volume_id"), PAGE, LIMIT], True, "volume"),
        "/api/topics": _get("Topics with their number of published publications", "TopicsPage", [PAGE, LIMIT],
                            op_id="topics"),
        "/api/topics/{slug}": _get("A topic and its published publications, newest first", "TopicDetail",
                                   [_param("slug", {"type": "string", "minLength": 1, "maxLength": 100}, "path"),
                                    PAGE, LIMIT], True, "topic"),
        "/api/years": _get("Published publications per year, newest year first", "YearsPage", [PAGE, LIMIT],
                           op_id="years"),
        "/api/years/{year}": _get("Published publications of one year, newest first", "YearDetail",
                                  [_param("year", {"type": "integer", "minimum": 0, "maximum": MAX_ID}, "path"),
                                   PAGE, LIMIT], True, "year"),
        "/api/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                      "parameters": [], "responses": {"200": {
                                          "description": "OpenAPI 3.0 document",
                                          "content": {JSON: {"schema": {"type": "object"}}}}}}},
    }
    doc: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Kelisim Archive API", "version": "1.0.0",
                 "description": "Read-only JSON access to the published publications of the archive. Field names "
                                "are stable; lists are paged with page and limit (1..100) and report total."},
        "paths": paths,
        "components": {"schemas": _schemas()},
    }
    if server_url:
        doc["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    return doc

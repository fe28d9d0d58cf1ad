"""OAI-PMH 2.0 data provider at ``/oai`` (``oai_dc`` only), for BASE, CORE, OpenAIRE and national harvesters.

Records are published and withdrawn publications (withdrawn ones as ``status="deleted"`` headers; drafts never
appear). The datestamp is ``updated_at`` in UTC. Resumption tokens are stateless: base64url JSON holding the
verb's arguments, the position (offset, and the last record's updated_at to the microsecond and id: a list goes in
that order, read from an index), the list size and a cutoff time fixed at the first request, so paging stays stable
while the archive changes (later changes are picked up by the next incremental harvest).
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional

from flask import Blueprint, Response, current_app, request
from lxml import etree

from ..config import setting
from ..core import db_session, get_archive
from ..i18n import public_base_url, public_host
from ..ids import parse_id
from ..models import KINDS, Publication
from ..services import harvest, references
from ..services.citations import dublin_core
from ..xmlsafe import set_attr, sub

bp = Blueprint("oai", __name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/ http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_ID_SCHEMA = f"{OAI_ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
OAI_DC = ("oai_dc", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd", "http://www.openarchives.org/OAI/2.0/oai_dc/")

KIND_NAMES = {"article": "Articles", "volume": "Volumes and collections", "report": "Reports",
              "commentary": "Media commentary", "event": "Events"}

# verb -> (required, optional); "resumptionToken" is exclusive where allowed
VERBS: dict[str, tuple[set[str], set[str]]] = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
_SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+(?::[A-Za-z0-9\-_.!~*'()]+)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_DOMAIN = re.compile(r"[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+")


class OAIError(Exception):
    """An OAI-PMH error condition: answered with HTTP 200 and an ``<error code=…>`` element."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class ListArgs:
    """The selective-harvesting arguments of a list request (also what a resumption token carries)."""

    verb: str
    prefix: str = "oai_dc"
    set_spec: str = ""
    from_: str = ""
    until: str = ""
    offset: int = 0
    last_id: int = 0
    last_changed: str = ""       # the last record's updated_at (ISO, to the microsecond): with last_id, the position
    cutoff: str = ""
    total: int = -1


# --------------------------------------------------------------------------- dates


def utc(dt: Optional[datetime]) -> datetime:
    """A stored datetime as aware UTC (SQLite gives naive values, which are UTC)."""
    if dt is None:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def datestamp(dt: Optional[datetime]) -> str:
    """ "YYYY-MM-DDThh:mm:ssZ" in UTC."""
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datestamp(value: str, upper: bool) -> tuple[datetime, str]:
    """A ``from``/``until`` value → (bound, granularity). ``until`` bounds are exclusive (end of day/second)."""
    try:
        if _SECONDS.fullmatch(value):
            dt = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            return (dt + timedelta(seconds=1) if upper else dt), "seconds"
        if _DAY.fullmatch(value):
            d = date.fromisoformat(value)
            dt = datetime.combine(d, time(0, 0), tzinfo=timezone.utc)
            return (dt + timedelta(days=1) if upper else dt), "day"
    except (ValueError, OverflowError):
        pass
    raise OAIError("badArgument", f"Illegal date: {value!r} (use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).")


# --------------------------------------------------------------------------- tokens


def encode_token(a: ListArgs) -> str:
    """A stateless resumption token (base64url JSON, no padding)."""
    data = {"v": a.verb, "p": a.prefix, "s": a.set_spec, "f": a.from_, "u": a.until, "o": a.offset,
            "i": a.last_id, "t": a.last_changed, "c": a.cutoff, "n": a.total}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, verb: str) -> ListArgs:
    """The list arguments inside a token, or ``badResumptionToken``."""
    try:
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,2000}", token):
            raise ValueError("alphabet")
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        a = ListArgs(verb=data["v"], prefix=data["p"], set_spec=data["s"], from_=data["f"], until=data["u"],
                     offset=int(data["o"]), last_id=int(data["i"]), last_changed=data["t"], cutoff=data["c"],
                     total=int(data["n"]))
        if a.verb != verb or not all(isinstance(x, str) for x in (a.prefix, a.set_spec, a.from_, a.until, a.cutoff,
                                                                   a.last_changed)):
            raise ValueError("verb")
        if a.last_changed:
            datetime.fromisoformat(a.last_changed)
        if a.offset < 0 or a.last_id < 0 or a.total < 0 or not _SECONDS.fullmatch(a.cutoff):
            raise ValueError("numbers")
        return a
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, binascii.Error, UnicodeDecodeError):
        raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.") from None


# --------------------------------------------------------------------------- XML


def _el(parent: etree._Element, name: str, text: Optional[str] = None, **attrs: str) -> etree._Element:
    return sub(parent, f"{{{OAI_NS}}}{name}", text, **attrs)


def _envelope(args: dict[str, str], echo: bool) -> etree._Element:
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", OAI_SCHEMA)
    _el(root, "responseDate", datestamp(datetime.now(timezone.utc)))
    req = _el(root, "request", base_url())
    if echo:
        for k, v in args.items():
            set_attr(req, k, v)
    return root


def _respond(root: etree._Element) -> Response:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return Response(body, content_type="text/xml; charset=utf-8")


def base_url() -> str:
    """The OAI-PMH base URL (absolute)."""
    return public_base_url() + "/oai"


def oai_identifier(pub_id: int) -> str:
    """ "oai:<host>:<id>"."""
    return f"oai:{public_host()}:{pub_id}"


def parse_identifier(identifier: str) -> int:
    """The publication id inside an identifier of this repository, or ``idDoesNotExist``."""
    prefix = f"oai:{public_host()}:"
    rest = identifier[len(prefix):] if identifier.startswith(prefix) else ""
    number = parse_id(rest) if rest == rest.strip() else None
    if number is not None:
        return number
    raise OAIError("idDoesNotExist", f"No item has the identifier {identifier!r}.")


def _page_size() -> int:
    return max(1, setting(current_app.config, "OAI_PAGE_SIZE"))


def _sets_enabled() -> bool:
    return setting(current_app.config, "OAI_SETS")


def _header(parent: etree._Element, pub: Publication) -> None:
    attrs = {"status": "deleted"} if pub.status == "withdrawn" else {}
    h = _el(parent, "header", **attrs)
    _el(h, "identifier", oai_identifier(pub.id))
    _el(h, "datestamp", datestamp(pub.updated_at))
    if _sets_enabled():
        _el(h, "setSpec", f"kind:{pub.kind}")
        if pub.volume_id is not None:
            _el(h, "setSpec", f"volume:{pub.volume_id}")


def _records(parent: etree._Element, pubs: list[Publication]) -> None:
    """Each record with its header and, unless withdrawn, its Dublin Core (the references' links read at once)."""
    base = public_base_url()
    relations = references.relation_urls(db_session(), [p.id for p in pubs if p.status != "withdrawn"], base)
    for pub in pubs:
        rec = _el(parent, "record")
        _header(rec, pub)
        if pub.status != "withdrawn":
            md = _el(rec, "metadata")
            md.append(dublin_core(pub, base, relations.get(pub.id, [])))


def _selection(a: ListArgs):
    """The harvest's selection: set, date range, and the cutoff fixed at the first request."""
    since = parse_datestamp(a.from_, upper=False)[0] if a.from_ else None
    before = parse_datestamp(a.until, upper=True)[0] if a.until else None
    cutoff = datetime.strptime(a.cutoff, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) + timedelta(seconds=1)
    return harvest.selection(db_session(), a.set_spec, since, before, cutoff, headers=a.verb == "ListIdentifiers")


# --------------------------------------------------------------------------- verbs


def _identify(root: etree._Element) -> None:
    earliest = harvest.earliest_change(db_session())
    cfg = current_app.config
    ident = _el(root, "Identify")
    _el(ident, "repositoryName", cfg.get("OAI_REPOSITORY_NAME") or cfg.get("SITE_NAME") or "Kelisim Archive")
    _el(ident, "baseURL", base_url())
    _el(ident, "protocolVersion", "2.0")
    host = public_host()
    # The schema wants user@domain.tld: a host without a dot (localhost) gets ".localdomain".
    admin = cfg.get("OAI_ADMIN_EMAIL") or cfg.get("ADMIN_EMAIL") or f"admin@{host}{'' if '.' in host else '.localdomain'}"
    _el(ident, "adminEmail", admin)
    _el(ident, "earliestDatestamp", datestamp(earliest) if earliest else "1970-01-01T00:00:00Z")
    _el(ident, "deletedRecord", "persistent")
    _el(ident, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    if _DOMAIN.fullmatch(host):
        desc = _el(ident, "description")
        oid = etree.SubElement(desc, f"{{{OAI_ID_NS}}}oai-identifier", nsmap={None: OAI_ID_NS})
        oid.set(f"{{{XSI_NS}}}schemaLocation", OAI_ID_SCHEMA)
        for name, value in (("scheme", "oai"), ("repositoryIdentifier", host), ("delimiter", ":"),
                            ("sampleIdentifier", f"oai:{host}:1")):
            sub(oid, f"{{{OAI_ID_NS}}}{name}", value)


def _load_one(identifier: str) -> Publication:
    pub_id = parse_identifier(identifier)
    pub = harvest.visible_one(db_session(), pub_id)
    if pub is None:
        raise OAIError("idDoesNotExist", f"No item has the identifier {identifier!r}.")
    return pub


def _list_metadata_formats(root: etree._Element, args: dict[str, str]) -> None:
    if "identifier" in args:
        _load_one(args["identifier"])    # every visible item disseminates oai_dc (deleted ones as headers)
    lmf = _el(root, "ListMetadataFormats")
    fmt = _el(lmf, "metadataFormat")
    _el(fmt, "metadataPrefix", OAI_DC[0])
    _el(fmt, "schema", OAI_DC[1])
    _el(fmt, "metadataNamespace", OAI_DC[2])


def _all_sets() -> list[tuple[str, str]]:
    s = db_session()
    out = [("kind", "Publication kinds")]
    present = harvest.kinds_present(s)
    out += [(f"kind:{k}", KIND_NAMES.get(k, k)) for k in KINDS if k in present]
    out.append(("volume", "Volumes and collections"))
    vols = harvest.volumes_present(s)
    out += [(f"volume:{vid}", re.sub(r"\s+", " ", title or "").strip() or f"Volume {vid}") for vid, title in vols]
    return out


def _resumption(parent: etree._Element, a: ListArgs, more: bool, resumed: bool, shown: int) -> None:
    """A token for the next page; an empty one on the last page of a resumed list."""
    if more:
        nxt = ListArgs(**{**a.__dict__, "offset": a.offset + shown})
        _el(parent, "resumptionToken", encode_token(nxt), completeListSize=str(a.total), cursor=str(a.offset))
    elif resumed:
        _el(parent, "resumptionToken", "", completeListSize=str(a.total), cursor=str(a.offset))


def _list_sets(root: etree._Element, args: dict[str, str]) -> None:
    if not _sets_enabled():
        raise OAIError("noSetHierarchy", "This repository does not support sets.")
    resumed = "resumptionToken" in args
    if resumed:
        a = decode_token(args["resumptionToken"], "ListSets")
    else:
        a = ListArgs(verb="ListSets", cutoff=datestamp(datetime.now(timezone.utc)))
    sets = _all_sets()
    if not resumed:
        a.total = len(sets)
    size = _page_size()
    if a.offset > len(sets):
        raise OAIError("badResumptionToken", "The resumption token is invalid or has expired.")
    chunk = sets[a.offset:a.offset + size]
    ls = _el(root, "ListSets")
    for spec, name in chunk:
        st = _el(ls, "set")
        _el(st, "setSpec", spec)
        _el(st, "setName", name)
    _resumption(ls, a, a.offset + len(chunk) < len(sets), resumed, len(chunk))


def _list(root: etree._Element, args: dict[str, str], verb: str) -> None:
    resumed = "resumptionToken" in args
    if resumed:
        a = decode_token(args["resumptionToken"], verb)
    else:
        a = ListArgs(verb=verb, prefix=args["metadataPrefix"], set_spec=args.get("set", ""),
                     from_=args.get("from", ""), until=args.get("until", ""),
                     cutoff=datestamp(datetime.now(timezone.utc)))
        if a.from_ and a.until:
            g1 = parse_datestamp(a.from_, upper=False)[1]
            g2 = parse_datestamp(a.until, upper=True)[1]
            if g1 != g2:
                raise OAIError("badArgument", "from and until must have the same granularity.")
        for value in (a.from_, a.until):
            if value:
                parse_datestamp(value, upper=False)
        if a.set_spec:
            if not _SET_SPEC.fullmatch(a.set_spec):
                raise OAIError("badArgument", f"Illegal setSpec {a.set_spec!r}.")
            if not _sets_enabled():
                raise OAIError("noSetHierarchy", "This repository does not support sets.")
    if a.prefix != OAI_DC[0]:
        raise OAIError("cannotDisseminateFormat", f"The metadata format {a.prefix!r} is not supported.")
    s = db_session()
    q = _selection(a)
    if not resumed:
        a.total = harvest.list_size(s, q, a.set_spec, bool(a.from_ or a.until), get_archive())
    size = _page_size()
    rows = harvest.page_after(s, q, datetime.fromisoformat(a.last_changed) if a.last_changed else None, a.last_id,
                              size + 1)
    more, rows = len(rows) > size, rows[:size]
    if not rows:
        # (on a resumed list: everything left changed after the cutoff; the next harvest picks it up)
        raise OAIError("noRecordsMatch", "No records match the request.")
    container = _el(root, verb)
    if verb == "ListIdentifiers":
        for pub in rows:
            _header(container, pub)
    else:
        _records(container, rows)
    a.total = max(a.total, a.offset + len(rows))
    if more:
        token_args = ListArgs(**{**a.__dict__, "last_id": rows[-1].id,
                                 "last_changed": rows[-1].updated_at.isoformat()})
        _resumption(container, token_args, True, resumed, len(rows))
    else:
        _resumption(container, a, False, resumed, len(rows))


def _get_record(root: etree._Element, args: dict[str, str]) -> None:
    pub = _load_one(args["identifier"])
    if args["metadataPrefix"] != OAI_DC[0]:
        raise OAIError("cannotDisseminateFormat", f"The metadata format {args['metadataPrefix']!r} is not supported.")
    _records(_el(root, "GetRecord"), [pub])


# --------------------------------------------------------------------------- entry point


def _check_arguments() -> tuple[str, dict[str, str]]:
    """The verb and the single-valued arguments; ``badVerb``/``badArgument`` per the protocol."""
    values = request.values
    verbs = values.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "Missing, repeated or illegal verb.")
    verb = verbs[0]
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for key in values.keys():
        if key == "verb":
            continue
        vals = values.getlist(key)
        if key not in required and key not in optional:
            raise OAIError("badArgument", f"Illegal argument {key!r} for {verb}.")
        if len(vals) != 1:
            raise OAIError("badArgument", f"Repeated argument {key!r}.")
        if vals[0] == "":
            raise OAIError("badArgument", f"Empty argument {key!r}.")
        args[key] = vals[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    missing = required - set(args)
    if missing:
        raise OAIError("badArgument", "Missing argument(s): " + ", ".join(sorted(missing)) + ".")
    return verb, args


@bp.route("/oai", methods=["GET", "POST"])
def endpoint():
    """The OAI-PMH 2.0 endpoint (GET and POST)."""
    try:
        verb, args = _check_arguments()
    except OAIError as exc:
        root = _envelope({}, echo=False)
        _el(root, "error", exc.message, code=exc.code)
        return _respond(root)
    root = _envelope({"verb": verb, **args}, echo=True)
    try:
        if verb == "Identify":
            _identify(root)
        elif verb == "ListMetadataFormats":
            _list_metadata_formats(root, args)
        elif verb == "ListSets":
            _list_sets(root, args)
        elif verb in ("ListIdentifiers", "ListRecords"):
            _list(root, args, verb)
        else:
            _get_record(root, args)
    except OAIError as exc:
        if exc.code in ("badArgument", "badVerb"):
            root = _envelope({}, echo=False)
        else:
            for child in list(root)[2:]:
                root.remove(child)
        _el(root, "error", exc.message, code=exc.code)
    return _respond(root)


"""Per-article PDFs cut from a volume with pypdf, without the volume's active content."""
from __future__ import annotations

from pathlib import Path

from .errors import UploadError

# Entries that run code, open other files or carry files when a reader opens or touches the PDF. A derived
# article is served to anyone who downloads it, so none of them is copied.
_DROP_KEYS = ("/JS", "/JavaScript", "/AA", "/OpenAction", "/EmbeddedFiles", "/EF", "/RichMediaContent", "/Next")
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named"})
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")
_DROP_ANNOTATIONS = frozenset({"/FileAttachment", "/Sound", "/Movie", "/Screen", "/RichMedia", "/3D"})


def _action_is_safe(action) -> bool:
    """Go-to, named page actions and web links stay; anything else (JavaScript, Launch, forms…) goes."""
    from pypdf.generic import DictionaryObject

    action = action.get_object()
    if not isinstance(action, DictionaryObject) or action.get("/S") not in _SAFE_ACTIONS:
        return False
    if action.get("/S") == "/URI":
        uri = action.get("/URI")
        text = uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)
        return text.strip().lower().startswith(_SAFE_URI_SCHEMES)
    return True


def strip_active_content(roots: list) -> None:
    """Remove JavaScript, open and additional actions, launch and other unsafe actions, embedded files and
    multimedia annotations from everything reachable from ``roots`` (changed in place)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack: list = list(roots)
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            for name in _DROP_KEYS:
                obj.pop(NameObject(name), None)
            if "/A" in obj and not _action_is_safe(obj["/A"]):
                del obj["/A"]
            if "/Annots" in obj:
                annots = obj["/Annots"].get_object()
                if isinstance(annots, ArrayObject):
                    kept = [a for a in annots if isinstance(a.get_object(), DictionaryObject)
                            and a.get_object().get("/Subtype") not in _DROP_ANNOTATIONS]
                    obj[NameObject("/Annots")] = ArrayObject(kept)
            stack.extend(obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def split_pdf(src: Path, ranges: list[tuple[int, int]], out_dir: Path) -> list[Path]:
    """Write pages ``first..last`` (1-based, inclusive) of ``src`` for each range; returns the new files."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError

    out: list[Path] = []
    try:
        reader = PdfReader(str(src))
        n = len(reader.pages)
        # Cleaned in the reader's objects, before any page is copied: a writer copies only what a page
        # still reaches, so what was cut loose (an attachment's stream) is never written.
        # reader.pages are copies of the page dictionaries: they are cleaned as roots of their own.
        strip_active_content([reader.trailer["/Root"], *reader.pages])
        for i, (first, last) in enumerate(ranges):
            writer = PdfWriter()
            for p in range(max(1, first), min(n, last) + 1):
                writer.add_page(reader.pages[p - 1])
            dest = Path(out_dir) / f"part-{i:04d}.pdf"
            with open(dest, "wb") as fh:
                writer.write(fh)
            out.append(dest)
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise UploadError("The volume could be read but not cut into per-article PDFs.", "split-failed",
                          repr(exc)) from exc
    return out

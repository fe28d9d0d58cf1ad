"""The Whoosh backend reads compound segments in place from an mmap (indexer/whoosh_storage.py): sub-files are views,
not heap copies; they read exactly like Whoosh's own BufferFile; maps and descriptors go with the searcher."""
import os
import pickle
import random
import tracemalloc
from array import array
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

from indexer import whoosh_backend
from indexer.documents import IndexDocument
from indexer.query import parse_query
from indexer.whoosh_backend import WhooshBackend
from indexer.whoosh_storage import MappedFile, MemoryFile, MmapFileStorage


def _struct_bytes() -> tuple[bytes, list]:
    """A file of varints, ints, longs, floats, pickles, arrays and text lines, and how to read it back."""
    from whoosh.filedb.structfile import StructFile
    import io

    rng = random.Random(5)
    out = io.BytesIO()
    f = StructFile(out)
    plan = []
    for _ in range(200):
        kind = rng.choice(("varint", "int", "long", "float", "pickle", "array", "string", "line"))
        if kind == "varint":
            v = rng.choice((0, 1, 127, 128, 300, 2 ** 40 + 7, rng.randrange(10 ** 6)))
            f.write_varint(v)
        elif kind == "int":
            v = rng.randrange(-2 ** 31, 2 ** 31)
            f.write_int(v)
        elif kind == "long":
            v = rng.randrange(-2 ** 63, 2 ** 63)
            f.write_long(v)
        elif kind == "float":
            v = rng.random()
            f.write_float(v)
        elif kind == "pickle":
            v = (rng.randrange(100), "слово" * rng.randrange(4), b"x" * rng.randrange(20000), [1.5, None])
            f.write_pickle(v)
        elif kind == "array":
            v = array("I", [rng.randrange(2 ** 32) for _ in range(rng.randrange(1, 50))])
            f.write_array(v)
        elif kind == "string":
            v = bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
            f.write_string(v)
        else:
            v = b"line %d\n" % rng.randrange(1000)
            f.write(v)
        plan.append((kind, v))
    return out.getvalue(), plan


def _read_all(f, plan) -> list:
    got = []
    for kind, v in plan:
        pos = f.tell()
        if kind == "varint":
            got.append(f.read_varint())
        elif kind == "int":
            got.append((f.read_int(), f.get_int(pos)))
        elif kind == "long":
            got.append((f.read_long(), f.get_long(pos)))
        elif kind == "float":
            got.append(f.read_float())
        elif kind == "pickle":
            got.append(f.read_pickle())
        elif kind == "array":
            got.append((f.read_array("I", len(v)), f.get_array(pos, "I", len(v))))
        elif kind == "string":
            got.append(f.read_string())
        else:
            got.append(f.readline())
    return got


def test_memory_file_reads_like_whooshs_buffer_file():
    data, plan = _struct_bytes()
    ours = _read_all(MemoryFile(memoryview(data)), plan)
    assert ours == _read_all(BufferFile(memoryview(data)), plan)
    for got, (kind, v) in zip(ours, plan):
        if kind in ("int", "long", "array"):
            assert got == (v, v)                                # sequential and positional reads agree
        elif kind == "float":
            assert got == pytest.approx(v, rel=1e-6)            # stored as a 4-byte float
        else:
            assert got == v
    f = MemoryFile(memoryview(data))
    assert f.get(10, 20) == data[10:30]
    assert f.read(5) == data[:5] and f.tell() == 5
    f.seek(-4, os.SEEK_END)
    assert f.read() == data[-4:] and f.read(3) == b""
    f.seek(3, os.SEEK_SET)
    f.seek(2, os.SEEK_CUR)
    assert f.read(1) == data[5:6]
    sub = f.subset(100, 50)
    assert sub.read() == data[100:150] and sub.get(10, 5) == data[110:115]
    assert isinstance(sub._buf, memoryview) and sub._buf.obj is data     # a slice, not a copy


def test_pickle_of_large_bytes_reads_through_readinto():
    payload = [b"z" * 300_000, "текст"]
    f = MemoryFile(memoryview(pickle.dumps(payload, protocol=-1) + b"tail"))
    assert f.read_pickle() == payload and f.read() == b"tail"


def _docs(n: int, words: int, seed: int = 3):
    rng = random.Random(seed)
    # Many distinct words so postings and stored data are big; Latin letters keep analysis cheap.
    vocab = ["".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4)) for _ in range(20000)]
    for i in range(1, n + 1):
        body = " ".join(rng.choice(vocab) for _ in range(words))
        yield IndexDocument(id=i, language="en", titles={"en": "doc %d %s" % (i, vocab[i])}, year=2000 + i % 20,
                            pages=((1, body),))


@pytest.fixture(scope="module")
def big_index(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wmem") / "ix"
    b = WhooshBackend(path)
    docs = list(_docs(300, 1500))
    for start in range(0, len(docs), 100):        # a few segments
        b.update(docs[start:start + 100])
    b.close()
    return path


def _index_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("*.seg"))


def _heap_growth_opening(backend) -> int:
    """Heap bytes a searcher takes to open and read every stored document (not the analysers' dictionaries)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        backend._get_searcher()
        assert len(backend.doc_ids()) == 300
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_opening_the_index_does_not_copy_segments_into_the_heap(big_index):
    size = _index_bytes(big_index)
    assert size > 3_000_000
    ours = WhooshBackend(big_index)
    try:
        grown = _heap_growth_opening(ours)
        reader = ours._get_searcher().reader()
        subs = getattr(reader, "readers", [reader])
        for sub in subs:
            seg = sub._storage.a._file                  # OverlayStorage(CompoundStorage, FileStorage)
            assert isinstance(seg, MappedFile)
            postings = sub._terms._postfile
            assert isinstance(postings, MemoryFile) and postings._root is seg
            assert postings._buf.obj is seg._mmap         # a view over the map, not a BytesIO copy
    finally:
        ours.close()
    # Whoosh's own storage, opened the same way, copies every sub-file (the control: this measure can tell).
    theirs = WhooshBackend(big_index)
    theirs._storage = lambda: FileStorage(str(big_index))
    try:
        copied = _heap_growth_opening(theirs)
    finally:
        theirs.close()
    assert copied > size // 2, (copied, size)
    assert grown < size // 8, (grown, size)


def _maps_of(path: Path) -> int:
    """Mappings of the index's segment files, deleted ones included (the speller's maps are not counted)."""
    prefix = str(path.resolve())
    with open("/proc/self/maps") as maps:
        return sum(1 for line in maps if prefix in line and ".seg" in line)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_maps_and_descriptors_do_not_pile_up_over_generations(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "RETIRED_GRACE_S", 0.0)      # retired searchers closed at the next reopen
    path = tmp_path / "ix"
    docs = list(_docs(40, 50))
    b = WhooshBackend(path)
    b.update(docs[:5])
    b.search(parse_query("doc"))
    fds0 = _fds()
    counts = []
    segments = 0
    for i in range(5, 40):
        b.update([docs[i]])                           # a new generation: the next search reopens the searcher
        assert b.search(parse_query("doc"), facets=True).total == i + 1
        segments = max(segments, len(list(path.glob("*.seg"))))
        counts.append((_maps_of(path), _fds()))
    # The current searcher's segments and one retired searcher's at most (35 generations would leak far more).
    assert segments < 8, segments
    assert max(m for m, _ in counts) <= 2 * segments, counts
    assert max(f for _, f in counts) <= fds0 + 2 * segments + 5, (fds0, counts)     # + a rebuilt speller's
    b.close()
    assert _maps_of(path) == 0
    assert _fds() <= fds0


def test_mapped_file_closes_its_map_even_with_sub_files_open(tmp_path):
    p = tmp_path / "x.seg"
    p.write_bytes(b"0123456789" * 100)
    f = MmapFileStorage(str(tmp_path)).open_file("x.seg")
    sub = f.subset(10, 20)
    assert sub.read(3) == b"012"
    mm = f._mmap
    f.close()
    assert mm.closed
    with pytest.raises(ValueError):
        sub.get(0, 1)

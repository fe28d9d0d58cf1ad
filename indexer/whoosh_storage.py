"""A Whoosh file storage that reads compound segments straight from an mmap, without copying them into the heap.

Whoosh 2.7 maps a compound segment (``<segment>.seg``) but wraps each of its sub-files in a ``BufferFile``, whose
``BytesIO(memoryview)`` copies the sub-file: every process then holds the whole index in its own memory. Here the
storage hands Whoosh a ``.seg`` file that is a memoryview over the map; Whoosh's ``CompoundStorage``, told the storage
cannot map (``supports_mmap = False``), takes each sub-file from that file's ``subset()``, which is a slice of the same
memoryview. Reads copy only the bytes they return, and the pages are the kernel's page cache, shared by every worker.

The map lives as long as the compound storage that opened it: ``CompoundStorage.close()`` (a segment reader's, so a
searcher's close) closes the ``.seg`` file, which releases every sub-file's view and closes the map and its
descriptor. A sub-file read after that raises ``ValueError``, like a closed file.

Sequential reads share one position per sub-file, as Whoosh's ``BytesIO`` did: a file is not safe for two threads
at once (the backend serialises its queries); positional reads (``get``, ``get_int``, ``get_array``...) are.
"""
from __future__ import annotations

import logging
import mmap
import os
import weakref

from whoosh.codec.base import Segment
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile

logger = logging.getLogger(__name__)


class MemoryReader:
    """A read-only file over a memoryview: what ``StructFile`` and ``pickle.load`` call, copying only what they get."""

    __slots__ = ("_mv", "_pos", "_len", "closed")

    def __init__(self, mv: memoryview) -> None:
        self._mv = mv
        self._pos = 0
        self._len = len(mv)
        self.closed = False

    def read(self, n: int | None = -1) -> bytes:
        pos = self._pos
        end = self._len if n is None or n < 0 else min(pos + n, self._len)
        if end <= pos:
            return b""
        self._pos = end
        return self._mv[pos:end].tobytes()

    def peek(self, n: int = 1) -> memoryview:
        # pickle's C unpickler reads a whole pickle from one peek (then read()s what it used): two calls a load
        # instead of one read() per opcode. A view, not a copy; the unpickler releases it when done.
        pos = self._pos
        return self._mv[pos:min(pos + max(n, 1), self._len)] if pos < self._len else self._mv[0:0]

    def readinto(self, b) -> int:
        pos = self._pos
        end = min(pos + len(b), self._len)
        if end <= pos:
            return 0
        memoryview(b).cast("B")[:end - pos] = self._mv[pos:end]
        self._pos = end
        return end - pos

    def readline(self, limit: int = -1) -> bytes:
        mv, pos = self._mv, self._pos
        stop = self._len if limit is None or limit < 0 else min(self._len, pos + limit)
        end = pos
        while end < stop:
            chunk = mv[end:min(end + 256, stop)].tobytes()
            i = chunk.find(b"\n")
            if i >= 0:
                end += i + 1
                break
            end += len(chunk)
        self._pos = end
        return mv[pos:end].tobytes()

    def read_varint(self) -> int:
        """Whoosh's variable-length unsigned integer, decoded in place (``StructFile`` reads it a byte a call)."""
        mv = self._mv
        pos = self._pos
        if pos >= self._len:
            raise IndexError("read_varint past the end of the file")
        b = mv[pos]
        pos += 1
        i = b & 0x7F
        shift = 7
        while b & 0x80:
            b = mv[pos]
            pos += 1
            i |= (b & 0x7F) << shift
            shift += 7
        self._pos = pos
        return i

    def seek(self, pos: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            pos += self._pos
        elif whence == os.SEEK_END:
            pos += self._len
        if pos < 0:
            raise ValueError("negative seek position %d" % pos)
        self._pos = pos
        return pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.closed = True


class MemoryFile(BufferFile):
    """A Whoosh ``BufferFile`` over a memoryview that is never copied whole (no ``BytesIO``)."""

    def __init__(self, buf: memoryview, name: str | None = None, onclose=None, root: "MappedFile | None" = None) -> None:
        # BufferFile.__init__ is not called: it is the BytesIO copy this class exists to avoid.
        self._buf = buf
        self._name = name
        self.file = MemoryReader(buf)
        self.onclose = onclose
        self.is_real = False
        self.is_closed = False
        self._root = root
        # The sequential calls go straight to the reader, one Python call each, not two through StructFile.
        self.read = self.file.read
        self.seek = self.file.seek
        self.tell = self.file.tell
        self.read_varint = self.file.read_varint

    def subset(self, position: int, length: int, name: str | None = None) -> "MemoryFile":
        """A sub-file that is a slice of this file's view (BufferFile's would copy it)."""
        root = self._root
        sub = MemoryFile(self._buf[position:position + length], name=name or self._name, root=root)
        if root is not None:
            root._children.add(sub)
        return sub

    def close(self) -> None:
        # Only marks it closed (as BytesIO's close would stop read()); the view is released with the whole map.
        if self.is_closed:
            raise Exception("This file is already closed")
        if self.onclose:
            self.onclose(self)
        self.file.close()
        self.is_closed = True

    def _release(self) -> bool:
        try:
            self._buf.release()
        except BufferError:         # exported right now (a pickle being read by another thread): left to the GC
            return False
        return True


class MappedFile(MemoryFile):
    """A whole file mapped read-only: the root of its sub-files, which it releases, then unmaps, when closed."""

    def __init__(self, mm: mmap.mmap, name: str | None = None, onclose=None) -> None:
        self._mmap = mm
        self._children: weakref.WeakSet[MemoryFile] = weakref.WeakSet()
        super().__init__(memoryview(mm), name=name, onclose=onclose, root=self)

    def close(self) -> None:
        if self.is_closed:
            return
        super().close()
        released = all([child._release() for child in list(self._children)]) and self._release()
        self._children.clear()
        if released:
            try:
                self._mmap.close()
            except BufferError:
                released = False
        if not released:
            logger.debug("%s: a view was still exported on close; the map closes when it is collected", self._name)
        self._mmap = None


class MmapFileStorage(FileStorage):
    """Whoosh's ``FileStorage``, but compound segments are read in place from an mmap (see the module docstring)."""

    # Read by Segment.open_compound_file: Whoosh's CompoundStorage must not map (and copy) the .seg file itself;
    # it then opens each sub-file with our file's subset().
    supports_mmap = False

    def __init__(self, path, readonly: bool = False) -> None:
        super().__init__(path, supports_mmap=False, readonly=readonly)

    def open_file(self, name, **kwargs):
        if not name.endswith(Segment.COMPOUND_EXT):
            return super().open_file(name, **kwargs)
        with open(self._fpath(name), "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:     # an empty file cannot be mapped
                return super().open_file(name, **kwargs)
            mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)   # the map keeps its own descriptor
        return MappedFile(mm, name=name, **kwargs)

#!/usr/bin/python3
"""A FUSE filesystem that forgets what was never fsynced: a power cut you can pull.

    lazyfs.py BACKING MOUNTPOINT [CONTROL]

Every operation goes straight through to BACKING, so reads, mmap and locks behave as on a
normal disk. What is not yet durable is remembered in an undo log:

  * a write or truncate, until fsync/fdatasync of that file;
  * a create, mkdir, rename or unlink, until fsync of the directory that holds the name
    (a rename across directories needs both directories).

Unmounting (fusermount3 -u MOUNTPOINT, or SIGTERM/SIGINT) is the power cut: every entry
still in the undo log is reversed, newest first, so BACKING is left exactly as durable
storage would be after the power came back. Then the process exits. Remount to look.

The same idea as Jepsen's LazyFS, kept small: no page cache of its own, an undo log instead.
Its last line on stdout says what the cut dropped.

CONTROL, a file outside the mount, makes the disk misbehave (CharybdeFS's and LazyFS's
faults). It is read again whenever it changes, and holds one word:

  ok      the disk behaves (the default).
  enospc  the disk is full: the first write after the switch goes in only in part (a
          short write, as when the last free block fills halfway through), every later
          write or growing truncate fails with ENOSPC. Write "ok" and space is back.
  eio     the next fsync fails with EIO, and the writes it should have made durable are
          lost at the power cut even if a later fsync succeeds (Linux marks the failed
          pages clean: PostgreSQL's "fsyncgate"), unless their pages are written again
          and synced. Later fsyncs succeed.
  torn    at the power cut, each file keeps part of what it never synced: a prefix of its
          oldest unsynced write (torn-op), and its newest unsynced write whole, past a hole
          of zeros where the writes between never landed (torn-seq: pages reach the disk
          out of order). Set it before the writes: only writes made in this mode can tear.
"""

import errno
import os
import random
import shutil
import sys
import threading

from fusepy import FUSE, FuseOSError, Operations  # Debian: python3-fusepy

TRASH = ".lazyfs-trash"
PAGE_BYTES = 4096


def _pages(offset, length):
    """The page numbers a write of `length` bytes at `offset` touches."""
    return set(range(offset // PAGE_BYTES, (offset + max(length, 1) - 1) // PAGE_BYTES + 1))
MODES = ("ok", "enospc", "eio", "torn")


class Entry:
    """One change not yet durable, and how to take it back."""

    __slots__ = ("kind", "path", "ino", "dirs", "offset", "old", "old_size", "other", "length", "new", "lost")

    def __init__(self, kind, path, ino=None, dirs=(), offset=0, old=b"", old_size=0, other=None, length=0):
        self.kind = kind  # write | truncate | create | mkdir | rename | unlink | rmdir
        self.path = path  # backing path at the time of the change
        self.ino = ino  # the file's inode, for data changes: fsync commits by inode
        self.dirs = set(dirs)  # directories whose fsync this namespace change waits for
        self.offset = offset
        self.old = old  # bytes the write overwrote
        self.old_size = old_size
        self.other = other  # rename: the old path; unlink/rename victims: their trash path
        self.length = length  # bytes a write wrote
        self.new = None  # torn mode: the bytes a write wrote, to put part of them back
        self.lost = False  # an fsync of them failed: no later fsync makes them durable


class LazyFS(Operations):
    def __init__(self, backing, control=None):
        self.root = os.path.realpath(backing)
        self.trash = os.path.join(self.root, TRASH)
        os.makedirs(self.trash, exist_ok=True)
        self.log = []
        self._mutex = threading.RLock()
        self.trash_seq = 0
        self.control = control
        self.control_seen = None
        self.mode = "ok"
        self.eio_armed = False
        self.short_write_done = False
        self.injected = {"enospc": 0, "eio": 0}

    # -- faults ---------------------------------------------------------------------------

    def _poll_control(self):
        """Takes up the mode in CONTROL if the file changed since the last look."""
        if not self.control:
            return
        try:
            st = os.stat(self.control)
        except FileNotFoundError:
            return
        seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        if seen == self.control_seen:
            return
        self.control_seen = seen
        with open(self.control) as f:
            mode = f.read().strip() or "ok"
        if mode not in MODES:
            print(f"lazyfs: unknown mode {mode!r} in {self.control}; one of {', '.join(MODES)}", file=sys.stderr, flush=True)
            return
        self.mode = mode
        self.eio_armed = mode == "eio"
        self.short_write_done = False

    def _full_disk(self, data):
        """In enospc mode: how much of `data` fits (a short first write), or ENOSPC."""
        if self.short_write_done or len(data) < 2:
            self.injected["enospc"] += 1
            raise FuseOSError(errno.ENOSPC)
        self.short_write_done = True
        return data[: len(data) // 2]

    # -- helpers --------------------------------------------------------------------------

    def _full(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def _dir_of(self, full):
        return os.path.dirname(full)

    def _to_trash(self, full):
        self.trash_seq += 1
        spot = os.path.join(self.trash, str(self.trash_seq))
        os.rename(full, spot)
        return spot

    def _remember_data(self, full, fh, offset, length, kind):
        """Saves what a write or truncate is about to change in `full`."""
        st = os.fstat(fh) if fh is not None else os.stat(full)
        end = min(st.st_size, offset + length)
        # By path: the handle may be write-only.
        old = _read_at(full, offset, end - offset) if end > offset else b""
        entry = Entry(kind, full, ino=st.st_ino, offset=offset, old=old, old_size=st.st_size, length=length)
        self.log.append(entry)
        return entry

    def _commit_data(self, ino):
        """An fsync of the inode: its data changes are durable now. One lost to a failed
        fsync stays lost, unless every page it touched is written again and now synced: Linux
        kept its bytes in the page cache (marked clean), so the new write of those pages
        carries them to disk with it."""
        rewritten = set()
        for e in self.log:
            if e.ino == ino and e.kind == "write" and not e.lost:
                rewritten.update(_pages(e.offset, e.length))
        self.log = [
            e
            for e in self.log
            if (e.lost and not (e.ino == ino and e.kind == "write" and _pages(e.offset, e.length) <= rewritten))
            or not (e.ino == ino and e.kind in ("write", "truncate"))
        ]

    def _forget(self, path):
        """Deletes a file for good, with any pending changes to it: its inode may be reused."""
        try:
            ino = os.stat(path).st_ino
        except FileNotFoundError:
            return
        self._commit_data(ino)
        _remove(path)

    def _locate(self, e):
        """Where the inode a data change was made to lives now: renames may have moved it."""
        try:
            if os.stat(e.path).st_ino == e.ino:
                return e.path
        except FileNotFoundError:
            pass
        for folder, _, names in os.walk(self.root):
            for name in names:
                candidate = os.path.join(folder, name)
                if os.lstat(candidate).st_ino == e.ino:
                    return candidate
        return None

    def _commit_dir(self, directory):
        kept = []
        for e in self.log:
            if e.kind in ("write", "truncate"):
                kept.append(e)
                continue
            e.dirs.discard(directory)
            if e.dirs:
                kept.append(e)
                continue
            victim = e.other if e.kind == "unlink" else e.other[1] if e.kind == "rename" else None
            if victim:
                self._forget(victim)  # the replaced or unlinked file is gone for good now
        self.log = kept

    # -- the power cut --------------------------------------------------------------------

    def _undo_data(self, e, where):
        """Takes back one write or truncate. Later writes may still stand (one lost to a
        failed fsync, then synced ones after it): the bytes past the old end become zeros
        then, as on a disk where those pages never landed."""
        with open(where, "r+b") as f:
            size = os.fstat(f.fileno()).st_size
            end = e.offset + e.length
            if e.old:
                f.seek(e.offset)
                f.write(e.old)
            if e.kind == "truncate" or size <= end:
                f.truncate(e.old_size)
            elif e.old_size < end:
                start = max(e.offset, e.old_size)
                f.seek(start)
                f.write(b"\0" * (end - start))

    def _torn_survivors(self):
        """Torn mode: per file, a prefix of the oldest unsynced write and the newest whole."""
        by_file = {}
        for e in self.log:
            if e.kind == "write" and e.new is not None and not e.lost:
                by_file.setdefault(e.ino, []).append(e)
        kept = []
        for writes in by_file.values():
            first, last = writes[0], writes[-1]
            if len(first.new) > 1:
                kept.append((first, first.new[: random.randint(1, len(first.new) - 1)]))
            if last is not first:
                kept.append((last, last.new))
        return kept

    def cut(self):
        dropped_writes = dropped_bytes = undone_names = 0
        with self._mutex:
            survivors = self._torn_survivors() if self.mode == "torn" else []
            for e in reversed(self.log):
                try:
                    if e.kind in ("write", "truncate"):
                        where = self._locate(e)
                        if where is None:
                            continue  # the file is gone, and its data with it
                        self._undo_data(e, where)
                        dropped_writes += 1
                        dropped_bytes += max(len(e.old), 1)
                    elif e.kind == "create":
                        _remove(e.path)
                        undone_names += 1
                    elif e.kind == "mkdir":
                        shutil.rmtree(e.path, ignore_errors=True)
                        undone_names += 1
                    elif e.kind == "rmdir":
                        os.makedirs(e.path, exist_ok=True)
                        undone_names += 1
                    elif e.kind == "unlink":
                        os.rename(e.other, e.path)
                        undone_names += 1
                    elif e.kind == "rename":
                        source, victim = e.other
                        os.rename(e.path, source)
                        if victim:
                            os.rename(victim, e.path)
                        undone_names += 1
                except OSError as err:
                    print(f"lazyfs: could not undo {e.kind} of {e.path}: {err}", file=sys.stderr, flush=True)
            torn = self._put_back(survivors)
            self.log = []
            shutil.rmtree(self.trash, ignore_errors=True)
        faults = "".join(f", {n} {k} injected" for k, n in self.injected.items() if n)
        print(
            f"lazyfs: cut: dropped {dropped_writes} unsynced writes, undid {undone_names} unsynced names{torn}{faults}",
            flush=True,
        )

    def _put_back(self, survivors):
        """Writes the torn survivors back, into their files as the undo left them (a file
        whose name was never synced is gone, and its pieces with it)."""
        pieces = 0
        for e, data in survivors:
            where = self._locate(e)
            if where is None:
                continue
            with open(where, "r+b") as f:
                f.seek(e.offset)
                f.write(data)
            pieces += 1
        return f", kept {pieces} torn pieces" if survivors else ""

    def init(self, path):
        print("lazyfs: mounted", flush=True)

    def destroy(self, path):
        self.cut()

    # -- reading ----------------------------------------------------------------------------

    def access(self, path, mode):
        if not os.access(self._full(path), mode):
            raise FuseOSError(errno.EACCES)

    def getattr(self, path, fh=None):
        st = os.lstat(self._full(path))
        keys = ("st_atime", "st_ctime", "st_gid", "st_mode", "st_mtime", "st_nlink", "st_size", "st_uid")
        return {k: getattr(st, k) for k in keys}

    def readdir(self, path, fh):
        names = [".", ".."] + os.listdir(self._full(path))
        return [n for n in names if not (path == "/" and n == TRASH)]

    def readlink(self, path):
        return os.readlink(self._full(path))

    def statfs(self, path):
        st = os.statvfs(self._full(path))
        keys = ("f_bavail", "f_bfree", "f_blocks", "f_bsize", "f_favail", "f_ffree", "f_files", "f_flag", "f_frsize", "f_namemax")
        return {k: getattr(st, k) for k in keys}

    def open(self, path, flags):
        return os.open(self._full(path), flags & ~os.O_APPEND)

    def read(self, path, size, offset, fh):
        return os.pread(fh, size, offset)

    def release(self, path, fh):
        os.close(fh)

    def flush(self, path, fh):
        return 0

    # -- data changes ----------------------------------------------------------------------

    def write(self, path, data, offset, fh):
        with self._mutex:
            self._poll_control()
            if self.mode == "enospc":
                data = self._full_disk(data)
            entry = self._remember_data(self._full(path), fh, offset, len(data), "write")
            if self.mode == "torn":
                entry.new = bytes(data)
            return os.pwrite(fh, data, offset)

    def truncate(self, path, length, fh=None):
        with self._mutex:
            full = self._full(path)
            size = os.stat(full).st_size
            self._poll_control()
            if self.mode == "enospc" and length > size:
                self.injected["enospc"] += 1
                raise FuseOSError(errno.ENOSPC)
            self._remember_data(full, fh, length, max(0, size - length), "truncate")
            if fh is not None:
                os.ftruncate(fh, length)
            else:
                os.truncate(full, length)

    def fsync(self, path, datasync, fh):
        with self._mutex:
            self._poll_control()
            ino = os.fstat(fh).st_ino
            if self.eio_armed:
                self.eio_armed = False
                self.injected["eio"] += 1
                for e in self.log:
                    if e.ino == ino and e.kind in ("write", "truncate"):
                        e.lost = True
                raise FuseOSError(errno.EIO)
            self._commit_data(ino)

    def fsyncdir(self, path, datasync, fh):
        with self._mutex:
            self._commit_dir(self._full(path).rstrip("/") or "/")

    # -- namespace changes -----------------------------------------------------------------

    def create(self, path, mode, fi=None):
        with self._mutex:
            full = self._full(path)
            existed = os.path.exists(full)
            # Read-write: the kernel may read through this handle too (mmap, the page cache).
            fh = os.open(full, os.O_RDWR | os.O_CREAT, mode)
            if not existed:
                self.log.append(Entry("create", full, dirs=[self._dir_of(full)]))
            return fh

    def mkdir(self, path, mode):
        with self._mutex:
            full = self._full(path)
            os.mkdir(full, mode)
            self.log.append(Entry("mkdir", full, dirs=[self._dir_of(full)]))

    def rmdir(self, path):
        with self._mutex:
            full = self._full(path)
            os.rmdir(full)
            self.log.append(Entry("rmdir", full, dirs=[self._dir_of(full)]))

    def unlink(self, path):
        with self._mutex:
            full = self._full(path)
            spot = self._to_trash(full)
            self.log.append(Entry("unlink", full, dirs=[self._dir_of(full)], other=spot))

    def rename(self, old, new):
        with self._mutex:
            source, target = self._full(old), self._full(new)
            victim = self._to_trash(target) if os.path.exists(target) else None
            os.rename(source, target)
            dirs = {self._dir_of(source), self._dir_of(target)}
            self.log.append(Entry("rename", target, dirs=dirs, other=(source, victim)))

    def chmod(self, path, mode):
        os.chmod(self._full(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._full(path), uid, gid)

    def utimens(self, path, times=None):
        os.utime(self._full(path), times)


def _read_at(path, offset, length):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


def _remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        sys.exit(0 if len(sys.argv) == 2 else 2)
    backing, mountpoint = sys.argv[1], sys.argv[2]
    control = sys.argv[3] if len(sys.argv) == 4 else None
    # libfuse unmounts on SIGTERM/SIGINT too, and unmounting is the cut (destroy runs then).
    FUSE(LazyFS(backing, control), mountpoint, foreground=True, nothreads=True)


if __name__ == "__main__":
    main()

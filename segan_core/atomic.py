"""Write files and folders atomically: a temp sibling first, then one rename.

A cancelled or crashed job never leaves a half-written output behind, and a failed write never
loses the previous one. Which existing folders may be written at all is :mod:`segan_core.outputs`.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from segan_core.errors import OutputError
from segan_core.outputs import OutputKind, check_output_dir, owned_entries, resolve


def ensure_writable_dir(folder: Path) -> None:
    """Create ``folder`` if needed and check it can be written, with a one-line error if not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {folder}: {exc.strerror or exc}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output folder is not writable: {folder}")
    try:  # access() says yes to root everywhere; /proc, full or odd file systems still refuse files
        fd, probe = tempfile.mkstemp(prefix=".segan-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"cannot write in output folder {folder}: {exc.strerror or exc}") from None


# a full disk, a quota, a read-only or too-small file system: the output cannot be written, say so
WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO})


def write_error(path: Path, exc: OSError) -> OutputError:
    """One line for an OSError while writing ``path`` (ENOSPC: the disk is full)."""
    if exc.errno == errno.ENOSPC:
        return OutputError(f"cannot write {path}: the disk is full (no space left on device); nothing was written")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}; nothing was written")


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """A full disk, a quota, a read-only file system or an I/O error while writing ``path``: one line
    (:func:`write_error`); any other OSError passes through unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise write_error(path, exc) from None
        raise


def _mkstemp(path: Path, suffix: str) -> tuple[int, str]:
    ensure_writable_dir(path.parent)
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None


def _mkdtemp(path: Path) -> Path:
    ensure_writable_dir(path.parent)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        raise write_error(path, exc) from None


@contextmanager
def atomic_file(path: Path | str, mode: str = "wb") -> Iterator:
    """Open a temp file next to ``path``; on success rename it over ``path``, else delete it."""
    path = resolve(path)
    fd, tmp = _mkstemp(path, ".tmp")
    try:
        with disk_errors(path):
            with os.fdopen(fd, mode) as handle:
                yield handle
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temp *path* next to ``path`` for tools that want a file name; rename on success."""
    path = resolve(path)
    fd, tmp = _mkstemp(path, path.suffix or ".tmp")
    os.close(fd)
    try:
        with disk_errors(path):
            yield Path(tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_tree(path: Path | str) -> Iterator[Path]:
    """Yield an empty temp folder next to ``path`` for a tool that writes a whole tree (a UFO); on success it
    takes the place of ``path``. A folder already at ``path`` (the caller has checked it may go) is moved
    aside first and deleted only once the new one is in place; on failure it is put back."""
    path = resolve(path)
    tmp = _mkdtemp(path)
    trash = None
    try:
        with disk_errors(path):
            yield tmp
            tmp.chmod(0o755)
            if path.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
                os.replace(path, trash / path.name)
            try:
                os.replace(tmp, path)
            except OSError:
                if trash is not None:
                    os.replace(trash / path.name, path)
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def atomic_dir(path: Path | str, kind: OutputKind, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temp folder next to ``path``; on success its contents take their place in ``path``.

    :func:`segan_core.outputs.check_output_dir` decides whether ``path`` may be written (checked
    before and after the work). A new or empty ``path``, or one holding only the command's own
    files, is swapped in with one rename; otherwise only the command's own names are replaced and
    everything else in the folder is kept. Nothing is ever left beside ``path``.
    """
    path = check_output_dir(path, kind, overwrite)
    tmp = _mkdtemp(path)
    try:
        with disk_errors(path):
            yield tmp
            tmp.chmod(0o755)
            check_output_dir(path, kind, overwrite)  # the folder may have changed during a long job
            _install(tmp, path, kind)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _install(tmp: Path, path: Path, kind: OutputKind) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    written = {entry.name for entry in tmp.iterdir()}
    old = owned_entries(path, kind, written)
    trash = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
    everything = {entry.name for entry in path.iterdir()}
    # only our own files: one rename swaps the whole folder (not the current folder: keep the shell's)
    if everything and set(old) == everything and path != resolve(Path.cwd()):
        try:
            os.replace(path, trash)
        except BaseException:
            shutil.rmtree(trash, ignore_errors=True)
            raise
        try:
            os.replace(tmp, path)
        except BaseException:
            os.replace(trash, path)  # put the previous output back
            raise
        shutil.rmtree(trash, ignore_errors=True)
        return
    moved: list[str] = []
    try:
        for name in sorted(old, key=lambda n: n == kind.marker, reverse=True):  # marker first out ...
            os.replace(path / name, trash / name)
            moved.append(name)
        for name in sorted(written, key=lambda n: n == kind.marker):  # ... and last in
            os.replace(tmp / name, path / name)
    except BaseException:
        for name in moved:  # the previous output comes back where nothing new took its place
            if not (path / name).exists():
                os.replace(trash / name, path / name)
        raise
    finally:
        shutil.rmtree(trash, ignore_errors=True)


def write_text_atomic(path: Path | str, text: str) -> None:
    with atomic_file(path, "w") as handle:
        handle.write(text)

"""Write files and folders atomically: a temp sibling first, then one rename.

A cancelled or crashed job never leaves a half-written output behind, and a failed write never
loses the previous one. Which existing folders may be written at all is :mod:`segan_core.outputs`.

Every temp sibling is named ``.NAME.segan-tmp-PID-XXXX`` (+ ``.tmp``, ``.old`` or the file's own
suffix), PID being the writer's. A job killed by SIGKILL cannot delete its own, so every later
write into the same folder first removes those whose writer is no longer alive (:func:`sweep_stale`):
only names of this pattern, never anything else.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from segan_core.errors import OutputError
from segan_core.outputs import (
    MARKER_VERSION,
    OutputKind,
    check_output_dir,
    marker_json,
    owned_entries,
    read_marker,
    resolve,
)

TEMP_TAG = ".segan-tmp-"  # in every temp sibling's name, followed by the writer's PID
_STALE = re.compile(r"^\..+" + re.escape(TEMP_TAG) + r"(\d+)-[^/]*$")


def _temp_prefix(path: Path) -> str:
    return f".{path.name}{TEMP_TAG}{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def sweep_stale(folder: Path) -> list[str]:
    """Remove temp siblings left in ``folder`` by writers that died (SIGKILL, a power cut); return their names."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    removed = []
    for entry in entries:
        match = _STALE.match(entry.name)
        if match is None or _alive(int(match.group(1))):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            continue  # another sweeper got it first, or it cannot be removed: harmless
    return removed


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


_OS_ERROR = re.compile(r"os error (\d+)")


def _safetensors_errno(exc: Exception) -> int | None:
    """The errno inside a ``SafetensorError`` raised by a failed write (``... (os error 28) ...``), or None."""
    if type(exc).__name__ != "SafetensorError":
        return None
    match = _OS_ERROR.search(str(exc))
    return int(match.group(1)) if match else None


@contextmanager
def disk_errors(path: Path) -> Iterator[None]:
    """A full disk, a quota, a read-only file system or an I/O error while writing ``path`` (an OSError,
    or safetensors' own SafetensorError wrapping one): one line (:func:`write_error`); anything else
    passes through unchanged."""
    try:
        yield
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:
            raise write_error(path, exc) from None
        raise
    except Exception as exc:
        code = _safetensors_errno(exc)
        if code in WRITE_ERRNOS:
            raise write_error(path, OSError(code, os.strerror(code))) from None
        raise


def _mkstemp(path: Path, suffix: str) -> tuple[int, str]:
    ensure_writable_dir(path.parent)
    sweep_stale(path.parent)
    try:
        return tempfile.mkstemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc) from None


def _mkdtemp(path: Path, suffix: str = ".tmp") -> Path:
    ensure_writable_dir(path.parent)
    sweep_stale(path.parent)
    try:
        return Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=suffix, dir=path.parent))
    except OSError as exc:
        raise write_error(path, exc) from None


def _trash(path: Path) -> Path:
    """A temp folder beside ``path`` to move the previous output into until the new one is in place."""
    return Path(tempfile.mkdtemp(prefix=_temp_prefix(path), suffix=".old", dir=path.parent))


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
def atomic_tree(path: Path | str, keep: Callable[[str], bool] = lambda name: False) -> Iterator[Path]:
    """Yield an empty temp folder next to ``path`` for a tool that writes a whole tree (a UFO); on success it
    takes the place of ``path``. A folder already at ``path`` (the caller has checked it may go) is moved
    aside first and deleted only once the new one is in place; on failure it is put back. Entries of the
    old folder for which ``keep(name)`` is true and that the new tree lacks (a UFO's ``images/``, a user's
    notes) are carried over into the new one, never deleted."""
    path = resolve(path)
    tmp = _mkdtemp(path)
    trash = None
    carried: list[str] = []
    try:
        with disk_errors(path):
            yield tmp
            tmp.chmod(0o755)
            if path.is_dir():
                for name in sorted(os.listdir(path)):
                    if keep(name) and not os.path.lexists(tmp / name):
                        os.replace(path / name, tmp / name)
                        carried.append(name)
                trash = _trash(path)
                os.replace(path, trash / path.name)
            try:
                os.replace(tmp, path)
            except OSError:
                if trash is not None:
                    os.replace(trash / path.name, path)
                raise
    except BaseException:
        for name in carried:  # the user's entries go back where they were
            if (tmp / name).exists() and path.is_dir() and not os.path.lexists(path / name):
                os.replace(tmp / name, path / name)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def atomic_dir(path: Path | str, kind: OutputKind, overwrite: bool = False, name: str | None = None) -> Iterator[Path]:
    """Yield a temp folder next to ``path``; on success its contents take their place in ``path``.

    :func:`segan_core.outputs.check_output_dir` decides whether ``path`` may be written (checked
    before and after the work). The command's marker (:attr:`OutputKind.marker`, listing every file
    written) is added to the temp folder. A new or empty ``path``, or one holding only the command's own
    files, is swapped in with one rename; otherwise only the command's own files are replaced and
    everything else in the folder is kept. Nothing is ever left beside ``path``.
    """
    path = check_output_dir(path, kind, overwrite, name)
    tmp = _mkdtemp(path)
    try:
        with disk_errors(path):
            yield tmp
            (tmp / kind.marker).write_text(marker_json(kind, tmp, path, name), encoding="utf-8")
            tmp.chmod(0o755)
            written = {entry.name for entry in tmp.iterdir()}
            check_output_dir(path, kind, overwrite, name, written)  # the folder may have changed during a long job
            _install(tmp, path, kind, written)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _install(tmp: Path, path: Path, kind: OutputKind, written: set[str]) -> None:
    if not path.exists():
        os.replace(tmp, path)
        return
    old = owned_entries(path, kind, written)
    trash = _trash(path)
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


def claim_output_dir(path: Path | str, kind: OutputKind) -> Path:
    """Mark ``path`` (checked by :func:`check_output_dir`) as ``kind``'s output for a command that writes
    it as it goes (a training run): every name the kind writes is then its own. Kept if already ours."""
    path = resolve(path)
    marker = read_marker(path, kind) if path.is_dir() else None
    if marker is not None and marker.owner:
        return path
    body = {"format": kind.format, "version": MARKER_VERSION, "owner": uuid.uuid4().hex}
    write_text_atomic(path / kind.marker, json.dumps(body) + "\n")
    return path

"""Files the emitters write: as a whole set or not at all, and never over a file someone
else wrote.

:func:`write_files` writes ``{name: text}`` into a directory as one **file set**
(:class:`StagedFiles`): every file (and the manifest) is first written and fsync'd into a
staging directory next to the targets (``.regionplan-staging-<pid>-<random>``); then a
``COMMITTED`` marker is written there; then each file is renamed into place and the
staging directory removed. A run killed before the marker leaves the old set (its staging
directory is removed by the next run); a run killed after it leaves a staging directory
that the next run into that directory rolls forward (:func:`recover`) before anything
else, so readers after a recovery see the old set or the new one, never a mix.

A manifest (``.regionplan-manifest.json``) lists the SHA-256 of every file written; a
target that exists but is not listed with its current content — written by someone else,
or edited by hand since — is not overwritten unless ``force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MANIFEST_FILE = ".regionplan-manifest.json"
STAGING_PREFIX = ".regionplan-staging-"
COMMITTED_MARKER = "COMMITTED"
STALE_TEMP_AGE_S = 600.0
"""A temporary file of an unknown writer older than this (s) is left from a killed run."""
_STAGING_RE = re.compile(re.escape(STAGING_PREFIX) + r"(\d+)-")
_TEMP_RE = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(\.tmp)?$")


class OutputPathError(ValueError):
    """An output directory or file name cannot be used; the message says why."""


class OverwriteRefusedError(RuntimeError):
    """Target files exist that the generator did not write (or that were edited since)."""

    def __init__(self, out_dir: Path, paths: list[Path]) -> None:
        self.out_dir = out_dir
        self.paths = paths
        names = ", ".join(p.name for p in paths)
        super().__init__(
            f"{out_dir}: refusing to overwrite {names}: not written by regionplan or edited "
            "since (no matching entry in "
            f"{MANIFEST_FILE}); move them away or pass --force"
        )


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` encoded as UTF-8 (the manifest's fingerprint)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temp file in the same directory, fsync'd,
    then :func:`os.replace`. A crash leaves the old file or the new one, never half (and
    its temporary, which a later write of ``path`` removes)."""
    remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable; not all platforms can open a directory
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_manifest(out_dir: Path) -> dict[str, list[str]]:
    """``{file name: [accepted sha256, ...]}`` from ``out_dir``'s manifest ({} if none).

    A manifest that is not valid JSON of that shape counts as absent: every existing
    target is then treated as hand-written.
    """
    path = out_dir / MANIFEST_FILE
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    files = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(files, dict):
        return {}
    return {
        str(name): [h for h in hashes if isinstance(h, str)]
        for name, hashes in files.items()
        if isinstance(hashes, list)
    }


def _manifest_text(files: Mapping[str, list[str]]) -> str:
    doc = {
        "//": "Files regionplan wrote here and their SHA-256; it refuses to overwrite others.",
        "generator": "regionplan tfvars",
        "files": {name: sorted(set(hashes)) for name, hashes in sorted(files.items())},
    }
    return json.dumps(doc, indent=2) + "\n"


def foreign_files(out_dir: Path, names: list[str]) -> list[Path]:
    """Those of ``names`` that exist in ``out_dir`` but whose content the manifest does
    not list: written by someone else, or edited by hand since regionplan wrote them."""
    manifest = read_manifest(out_dir)
    foreign: list[Path] = []
    for name in names:
        path = out_dir / name
        if path.exists() and (
            not path.is_file() or _sha256_file(path) not in manifest.get(name, [])
        ):
            foreign.append(path)
    return foreign


def check_out_dir(out_dir: Path, names: Iterable[str]) -> None:
    """:class:`OutputPathError` unless ``out_dir`` is (or can become) a directory in which
    each of ``names`` is a plain file name that is not a directory."""
    for parent in (out_dir, *out_dir.parents):
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                where = "" if parent == out_dir else f"{out_dir}: "
                raise OutputPathError(f"{where}{parent} is a file, not a directory; choose "
                                      "another output directory")
            break
    for name in names:
        if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
            raise OutputPathError(f"{out_dir}: {name!r} is not a plain file name")
        target = out_dir / name
        if target.is_dir():
            raise OutputPathError(
                f"{target} is a directory; move it away or choose another output directory")


def safe_file_name(text: str, fallback: str = "output") -> str:
    """``text`` as one file name: path separators, '..', control characters and leading
    dots removed (names from files, such as a plan's scenario name, are never paths)."""
    cleaned = re.sub(r"\.{2,}", "", re.sub(r"[^A-Za-z0-9_.-]+", "-", text))
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-.")[:100].strip("-.")
    return cleaned or fallback


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


def _writer_running(pid: int) -> bool:
    """Another live process may still be writing that staging directory (one of this
    process is from an interrupted earlier write: this process stages after recovering)."""
    return pid != os.getpid() and _pid_alive(pid)


def recover(out_dir: Path) -> None:
    """Finish or undo file sets left by killed runs in ``out_dir``: a staging directory
    with the ``COMMITTED`` marker is rolled forward, one without it is removed; stale
    temporary files of atomic writes are removed. Staging directories of live processes
    are left alone."""
    if not out_dir.is_dir():
        return
    for entry in sorted(out_dir.iterdir()):
        m = _STAGING_RE.match(entry.name)
        if m and entry.is_dir() and not _writer_running(int(m.group(1))):
            if (entry / COMMITTED_MARKER).is_file():
                _roll_out(entry, out_dir)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        elif _TEMP_RE.match(entry.name) and entry.is_file() and _stale(entry):
            entry.unlink(missing_ok=True)


def remove_stale_temps(path: Path) -> None:
    """Remove temporary files of earlier, killed atomic writes of ``path`` (older than
    :data:`STALE_TEMP_AGE_S`; a live writer's temporary is younger)."""
    if not path.parent.is_dir():
        return
    for entry in path.parent.iterdir():
        m = _TEMP_RE.match(entry.name)
        if m and m.group("name") == path.name and entry.is_file() and _stale(entry):
            entry.unlink(missing_ok=True)


def _stale(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > STALE_TEMP_AGE_S
    except FileNotFoundError:
        return False


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_out(staging: Path, out_dir: Path) -> list[Path]:
    """Rename every staged file into ``out_dir`` (the manifest last), then drop ``staging``."""
    order = json.loads((staging / COMMITTED_MARKER).read_text(encoding="utf-8"))
    paths = []
    for name in order:
        src = staging / name
        if src.exists():  # absent: already moved by an interrupted roll-out
            os.replace(src, out_dir / name)
        paths.append(out_dir / name)
    _fsync_dir(out_dir)
    shutil.rmtree(staging, ignore_errors=True)
    return paths


@dataclass
class StagedFiles:
    """A file set written into a staging directory, not yet in place."""

    out_dir: Path
    staging: Path
    names: list[str]

    def mark_committed(self) -> None:
        """Write the marker: from now on the set is rolled forward even after a kill."""
        _write_durable(self.staging / COMMITTED_MARKER, json.dumps(self.names))
        _fsync_dir(self.staging)

    def roll_out(self) -> list[Path]:
        """Move the files into place (call after :meth:`mark_committed`)."""
        return [p for p in _roll_out(self.staging, self.out_dir) if p.name != MANIFEST_FILE]

    def abandon(self) -> None:
        """Remove the staging directory (the old set stays)."""
        shutil.rmtree(self.staging, ignore_errors=True)


def _write_durable(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o644)


def stage_files(out_dir: Path, files: Mapping[str, str], force: bool = False, *,
                manifest: bool = True) -> StagedFiles:
    """Stage ``files`` (``{name: text}``) for ``out_dir``; nothing in place changes yet.

    Recovers earlier killed runs first. Refuses (:class:`OverwriteRefusedError`) if a
    target exists that the manifest does not vouch for, unless ``force`` (only with
    ``manifest``); :class:`OutputPathError` for a target that cannot be written.
    """
    out_dir = Path(out_dir)
    check_out_dir(out_dir, [*files, MANIFEST_FILE] if manifest else list(files))
    out_dir.mkdir(parents=True, exist_ok=True)
    recover(out_dir)
    contents = dict(files)
    if manifest:
        foreign = foreign_files(out_dir, list(files))
        if foreign and not force:
            raise OverwriteRefusedError(out_dir, foreign)
        final = read_manifest(out_dir)
        final.update({name: [sha256_text(text)] for name, text in files.items()})
        contents[MANIFEST_FILE] = _manifest_text(final)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        for name, text in contents.items():
            _write_durable(staging / name, text)
        _fsync_dir(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedFiles(out_dir, staging, list(contents))


def commit_file_sets(sets: list[StagedFiles]) -> list[Path]:
    """Put staged sets in place: all markers first, then every roll-out."""
    for staged in sets:
        staged.mark_committed()
    return [p for staged in sets for p in staged.roll_out()]


def write_file_set(out_dir: Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``files`` into ``out_dir`` as one set, without a manifest (plan outputs)."""
    return commit_file_sets([stage_files(out_dir, files, manifest=False)])


def write_files(out_dir: Path, files: Mapping[str, str], force: bool = False) -> list[Path]:
    """Write ``files`` (``{name: text}``) into ``out_dir`` as one set; return the paths.

    Refuses (:class:`OverwriteRefusedError`, nothing written) if a target exists that the
    manifest does not vouch for, unless ``force``. The files and the manifest are replaced
    together (see the module docstring).
    """
    return commit_file_sets([stage_files(out_dir, files, force)])

"""Files the emitters write: atomically, and never over a file someone else wrote.

:func:`write_files` writes ``{name: text}`` into a directory. Each file goes to a temp
file in the same directory, is fsync'd and renamed over the old one (a crash leaves the
old file or the new one, never half). A manifest (``.regionplan-manifest.json``) lists the
SHA-256 of every file written; a target that exists but is not listed with its current
content — written by someone else, or edited by hand since — is not overwritten unless
``force``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

MANIFEST_FILE = ".regionplan-manifest.json"


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
    then :func:`os.replace`. A crash leaves the old file or the new one, never half."""
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


def _write_manifest(out_dir: Path, files: Mapping[str, list[str]]) -> None:
    doc = {
        "//": "Files regionplan wrote here and their SHA-256; it refuses to overwrite others.",
        "generator": "regionplan tfvars",
        "files": {name: sorted(set(hashes)) for name, hashes in sorted(files.items())},
    }
    atomic_write_text(out_dir / MANIFEST_FILE, json.dumps(doc, indent=2) + "\n")


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


def write_files(out_dir: Path, files: Mapping[str, str], force: bool = False) -> list[Path]:
    """Write ``files`` (``{name: text}``) into ``out_dir`` atomically; return the paths.

    Refuses (:class:`OverwriteRefusedError`, nothing written) if a target exists that the
    manifest does not vouch for, unless ``force``. Crash safety: the manifest is first
    widened to accept both the old and the new content of every target, then each file is
    replaced atomically, then the manifest is narrowed to the new content; at any crash
    point every file is whole and vouched for.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    foreign = foreign_files(out_dir, list(files))
    if foreign and not force:
        raise OverwriteRefusedError(out_dir, foreign)
    manifest = read_manifest(out_dir)
    new_hashes = {name: sha256_text(text) for name, text in files.items()}
    widened = {name: list(hashes) for name, hashes in manifest.items()}
    for name, digest in new_hashes.items():
        widened.setdefault(name, []).append(digest)
    _write_manifest(out_dir, widened)
    paths: list[Path] = []
    for name, text in files.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)  # names may hold sub-directories
        atomic_write_text(path, text)
        paths.append(path)
    final = dict(manifest)
    final.update({name: [digest] for name, digest in new_hashes.items()})
    _write_manifest(out_dir, final)
    return paths

"""The append-only result store of a sweep: ``OUT/parts/*.parquet`` plus a manifest.

Layout of ``OUT``:

- ``sweep.json`` — the manifest: scenario hash, catalog fingerprint, spec; ``--resume``
  refuses to mix results of a different sweep into the directory.
- ``parts/part-NNNNNN-<random>.parquet`` — one file per finished task, written by the driver
  as the task's result arrives (temp file, fsync, rename: a part is whole or absent).
- ``.lock`` — held (``flock``) by the run writing the directory, so two runs never write
  into one directory at once.
- ``results.parquet`` — all rows, one per point, sorted by ``point_id``; rewritten from
  the parts at the end of a run (and by every resumed run).

Workers never touch the directory, so a remote cluster needs no shared filesystem.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from connectors.catalog import Catalog
from planner.scenario import Scenario
from planner.sweep.spec import SweepSpec
from planner.sweep.tasks import TIMING_COLUMNS, TOTAL_COLUMNS, Status

MANIFEST = "sweep.json"
PARTS = "parts"
RESULTS = "results.parquet"
MANIFEST_VERSION = 1
LOCK = ".lock"
_PART_RE = re.compile(r"^part-(\d{6,})-[0-9a-f]{8}\.parquet$")


class SweepStoreError(RuntimeError):
    """The output directory cannot be used as asked (says which flag fixes it)."""


def result_schema(spec: SweepSpec) -> pa.Schema:
    """Arrow schema of a result row: ids, grid values, status, totals, timings."""
    fields = [pa.field("point_id", pa.int64()), pa.field("sample", pa.int64())]
    for p in spec.grid.params:
        typ = pa.float64() if p.kind in ("number", "optional_number") else pa.string()
        fields.append(pa.field(p.column, typ))
    fields += [pa.field("status", pa.string()), pa.field("message", pa.string()),
               pa.field("regions", pa.string())]
    fields += [pa.field(c, pa.float64()) for c in TOTAL_COLUMNS]
    fields += [pa.field(c, pa.float64()) for c in TIMING_COLUMNS if c != "worker"]
    fields.append(pa.field("worker", pa.string()))
    return pa.schema(fields)


def catalog_fingerprint(catalog: Catalog) -> str:
    """SHA-256 over every table's rows (content, not object identity)."""
    h = hashlib.sha256()
    for name in sorted(f for f in catalog.__dataclass_fields__ if f != "origins"):
        df = getattr(catalog, name)
        h.update(name.encode())
        h.update(df.to_csv(index=False).encode())
    return h.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory, fsync and rename."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ResultStore:
    """Parts written as results arrive; finished point ids for ``--resume``."""

    def __init__(self, out_dir: Path, spec: SweepSpec):
        self.out_dir = out_dir
        self.parts_dir = out_dir / PARTS
        self.schema = result_schema(spec)
        self._next = 0
        self._lock: int | None = None

    def _acquire(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.out_dir / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            os.close(fd)
            raise SweepStoreError(
                f"another regionplan sweep (pid {holder or '?'}) is writing to {self.out_dir}; "
                f"wait for it to finish or choose another --out") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._lock = fd

    def close(self) -> None:
        """Release the directory (the lock file stays; the lock goes with the descriptor)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @staticmethod
    def manifest(scenario: Scenario, catalog: Catalog, spec: SweepSpec) -> dict[str, Any]:
        return {"version": MANIFEST_VERSION, "scenario": scenario.name,
                "scenario_sha256": scenario.sha256(),
                "catalog_sha256": catalog_fingerprint(catalog), "spec": spec.to_dict(),
                "spec_sha256": spec.sha256()}

    def open(self, manifest: dict[str, Any], resume: bool) -> None:
        """Lock and create the directory, or check that a resumed one holds this same sweep.

        Call :meth:`close` when done (also after an error).
        """
        self._acquire()
        try:
            self._open(manifest, resume)
        except BaseException:
            self.close()
            raise

    def _open(self, manifest: dict[str, Any], resume: bool) -> None:
        path = self.out_dir / MANIFEST
        has_parts = self.parts_dir.is_dir() and any(self.parts_dir.glob("part-*.parquet"))
        if path.exists() or has_parts:
            if not resume:
                raise SweepStoreError(
                    f"{self.out_dir} already holds a sweep; pass --resume to continue it or "
                    f"choose another --out")
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except (FileNotFoundError, json.JSONDecodeError) as err:
                raise SweepStoreError(f"{path}: cannot read the sweep manifest ({err}); "
                                      f"choose another --out") from None
            diff = [k for k in manifest if old.get(k) != manifest[k]]
            if diff:
                raise SweepStoreError(
                    f"{self.out_dir} holds a different sweep (differs in: {', '.join(diff)}); "
                    f"rerun with the same scenario, catalog and sweep options, or choose "
                    f"another --out")
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        for folder in (self.parts_dir, self.out_dir):  # left by a run killed mid-write
            for tmp in folder.glob(".tmp-*"):
                tmp.unlink()
        if not path.exists():
            write_atomic(path, (json.dumps(manifest, indent=2) + "\n").encode())
        seqs = [int(m.group(1)) for f in self.parts_dir.iterdir()
                if (m := _PART_RE.match(f.name))]
        self._next = max(seqs, default=-1) + 1

    def part_files(self) -> list[Path]:
        return sorted(f for f in self.parts_dir.glob("part-*.parquet") if _PART_RE.match(f.name))

    def write_part(self, rows: list[dict[str, Any]]) -> Path:
        """Write one task's rows as the next part file (atomically)."""
        table = pa.Table.from_pylist(rows, schema=self.schema)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        path = self.parts_dir / f"part-{self._next:06d}-{uuid.uuid4().hex[:8]}.parquet"
        write_atomic(path, buf.getvalue())
        self._next += 1
        return path

    def read_all(self) -> pd.DataFrame:
        """Every row of every part; a point written twice keeps its latest row."""
        files = self.part_files()
        if not files:
            return self.schema.empty_table().to_pandas()
        table = pa.concat_tables(pq.read_table(f, schema=self.schema) for f in files)
        df = table.to_pandas()
        return df.drop_duplicates("point_id", keep="last").sort_values("point_id",
                                                                      ignore_index=True)

    def finished_ids(self) -> set[int]:
        """Point ids with a final outcome (``lost`` points are computed again)."""
        df = self.read_all()
        return set(df.loc[df["status"] != Status.LOST, "point_id"].astype(int))

    def consolidate(self) -> tuple[Path, pd.DataFrame]:
        """Write ``results.parquet`` (sorted by point id) from the parts."""
        df = self.read_all()
        table = pa.Table.from_pandas(df, schema=self.schema, preserve_index=False)
        buf = io.BytesIO()
        pq.write_table(table, buf)
        path = self.out_dir / RESULTS
        write_atomic(path, buf.getvalue())
        return path, df

"""Build ``world_110m.json`` (country outlines for the app's map) from Natural Earth.

Input: ``countries-110m.json`` of the npm package world-atlas 2.0.2 (Natural Earth 4.1.0
Admin 0 countries at 1:110m as TopoJSON; `npm pack world-atlas@2.0.2`). Output: every
polygon ring as [lon, lat] pairs rounded to 0.01° (about 1 km, far below what a 1:110m map
shows). Natural Earth is public domain. Run once:

    python app/data/build_world_outlines.py countries-110m.json app/data/world_110m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DECIMALS = 2
SOURCE = ("Natural Earth 4.1.0 Admin 0 countries 1:110m (public domain), via the npm "
          "package world-atlas 2.0.2 (countries-110m.json, TopoJSON)")


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute [lon, lat] positions of every arc (quantized, delta-encoded in TopoJSON)."""
    sx, sy = topo["transform"]["scale"]
    tx, ty = topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    """One ring from arc indices (``~i`` is arc ``i`` reversed); shared ends dropped."""
    out: list[tuple[float, float]] = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(points if not out else points[1:])
    return [[round(lon, DECIMALS), round(lat, DECIMALS)] for lon, lat in out]


def rings(topo: dict[str, Any]) -> list[list[list[float]]]:
    """Every ring of every country polygon."""
    arcs = decode_arcs(topo)
    out = []
    for geom in topo["objects"]["countries"]["geometries"]:
        polygons = ([geom["arcs"]] if geom["type"] == "Polygon"
                    else geom["arcs"] if geom["type"] == "MultiPolygon" else [])
        for polygon in polygons:
            out.extend(ring(r, arcs) for r in polygon)
    return out


def main(src: Path, dst: Path) -> None:
    topo = json.loads(src.read_text())
    doc = {"source": SOURCE, "licence": "public domain (Natural Earth)", "units": "deg",
           "rings": rings(topo)}
    dst.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

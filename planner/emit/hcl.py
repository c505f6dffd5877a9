"""HCL text for the generated ``.tfvars``: literals that evaluate to exactly their value.

Laid out the way ``terraform fmt`` does (``=`` aligned over runs of one-line attributes),
so ``terraform fmt -check`` passes on the output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any


class HclError(ValueError):
    """A value cannot be written as HCL (a non-finite number)."""


def _json_number(x: float | int) -> float | int:
    """Whole floats as ints, so counts read ``8`` rather than ``8.0``."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


_HCL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def hcl_quote(text: str) -> str:
    """``text`` as a quoted HCL string literal that evaluates to exactly ``text``.

    Escapes ``"`` and ``\\``, writes control characters (and the Unicode line/paragraph
    separators) as ``\\n``/``\\uXXXX``, and doubles the template introducers: ``${`` →
    ``$${``, ``%{`` → ``%%{``, so no interpolation or directive can run.
    """
    out: list[str] = []
    n = len(text)
    i = 0
    while i < n:
        ch = text[i]
        if ch in _HCL_ESCAPES:
            out.append(_HCL_ESCAPES[ch])
        elif ch in "$%" and i + 1 < n and text[i + 1] == "{":
            out.append(ch + ch + "{")
            i += 1
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
        i += 1
    return '"' + "".join(out) + '"'


def _hcl_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return hcl_quote(value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise HclError(f"cannot write the non-finite number {value!r} to HCL")
        return repr(_json_number(value))
    raise TypeError(f"cannot write {type(value).__name__} to HCL")


def _hcl_object(obj: Mapping[str, Any], indent: int) -> list[str]:
    """Lines of an HCL object body, laid out the way ``terraform fmt`` does."""
    pad = "  " * indent
    lines: list[str] = []
    keys = [hcl_quote(k) if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) else k for k in obj]
    # terraform fmt aligns "=" over runs of single-line attributes.
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        lines.extend(f"{pad}{k.ljust(width)} = {v}" for k, v in run)
        run.clear()

    for key, value in zip(keys, obj.values(), strict=True):
        if isinstance(value, Mapping):
            flush()
            lines.append(f"{pad}{key} = {{")
            lines.extend(_hcl_object(value, indent + 1))
            lines.append(f"{pad}}}")
        elif isinstance(value, list | tuple) and any(isinstance(v, Mapping) for v in value):
            flush()
            lines.append(f"{pad}{key} = [")
            for item in value:
                lines.append(f"{pad}  {{")
                lines.extend(_hcl_object(item, indent + 2))
                lines.append(f"{pad}  }},")
            lines.append(f"{pad}]")
        elif isinstance(value, list | tuple):
            run.append((key, "[" + ", ".join(_hcl_scalar(v) for v in value) + "]"))
        else:
            run.append((key, _hcl_scalar(value)))
    flush()
    return lines


def render_tfvars_hcl(values: Mapping[str, Any], note: str) -> str:
    """A ``.tfvars`` text (HCL) headed by the comment ``note``, formatted as
    ``terraform fmt`` would."""
    lines = [f"# {note}", ""]
    for name, value in values.items():
        if isinstance(value, Mapping):
            lines.append(f"{name} = {{")
            lines.extend(_hcl_object(value, 1))
            lines.append("}")
        else:
            lines.append(f"{name} = {_hcl_scalar(value)}")
        lines.append("")
    return "\n".join(lines[:-1]) + "\n"



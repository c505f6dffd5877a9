"""One fetch of one source (or one grid zone) turned into an :class:`Attempt`: the
validated tables, or why nothing may be stored. Never raises for a source's fault.

Three endings:

- ``ok``: every table passed :func:`connectors.validate.validate_batch`;
- ``rejected``: the source answered, but with something that may not replace the last
  good rows: a batch that failed validation (its rows are kept for quarantine), or a
  body that could not be read into rows at all (truncated, HTML, garbage, wrong shape);
- ``failed``: the source did not deliver (auth, 4xx, 5xx, timeouts, retry budget or
  deadline spent, not configured).

A connector defect on an unexpected body (a ``KeyError`` in an SDK's parser, a ``float()``
of a word) is a fault of the *response*, so it ends as ``rejected`` with the exception's
type named; ``--verbose`` logs the traceback (redacted). The payload-defect exceptions
are listed by name below: nothing broader is caught.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from connectors.base import Connector, GridConnector, Scope, SourceDataError, SourceError
from connectors.validate import BatchRejected, validate_batch

log = logging.getLogger(__name__)

# What parsing an unexpected body raises inside connectors and SDKs (a list where a dict
# was expected, a word where a number was, a missing key, a bad encoding).
PAYLOAD_DEFECTS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
)
# What an SDK's transport raises when it does not wrap its own errors (requests' timeouts
# and connection errors are OSError subclasses).
TRANSPORT_DEFECTS: tuple[type[Exception], ...] = (OSError,)


@dataclass(frozen=True)
class Attempt:
    """The result of asking one source once (one source, or one source for one zone).

    ``message`` names the source (``"aws: HTTP 503 …"``) or, when ok, holds its notes;
    ``detail`` is the message without the source prefix. ``rejected`` holds the rows of
    a batch that failed validation (None when there were no rows to keep), ``table``
    the table it was meant for.
    """

    source: str
    status: str  # ok | rejected | failed
    message: str
    detail: str = ""
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    rejected: pd.DataFrame | None = None
    table: str | None = None

    @property
    def rows(self) -> int:
        """Rows over all accepted tables."""
        return sum(len(df) for df in self.tables.values())


def _failure(name: str, status: str, detail: str, **more: object) -> Attempt:
    return Attempt(name, status, f"{name}: {detail}", detail, **more)  # type: ignore[arg-type]


def attempt(
    name: str,
    call: Callable[[], tuple[Mapping[str, pd.DataFrame], Sequence[str]]],
    scope: Scope,
    previous: Mapping[str, int],
    min_row_share: float,
) -> Attempt:
    """Run ``call`` (tables and notes of one source) and validate every table it returns.

    ``previous`` maps each table to the rows of the slice the batch would replace.
    """
    try:
        tables, notes = call()
    except SourceDataError as exc:
        return _failure(name, "rejected", exc.detail)
    except SourceError as exc:
        return _failure(name, "failed", exc.detail)
    except BatchRejected as exc:
        return _failure(name, "rejected", str(exc), table=exc.table)
    except PAYLOAD_DEFECTS as exc:
        log.debug("%s: unexpected response", name, exc_info=True)
        detail = f"unexpected response ({type(exc).__name__}); run with --verbose for details"
        return _failure(name, "rejected", detail)
    except TRANSPORT_DEFECTS as exc:
        log.debug("%s: transport error", name, exc_info=True)
        return _failure(name, "failed", f"connection failed or timed out ({type(exc).__name__})")
    for table, df in tables.items():
        try:
            validate_batch(
                table,
                df,
                previous_rows=previous.get(table, 0),
                min_row_share=min_row_share,
                now=scope.now,
            )
        except BatchRejected as exc:
            return _failure(name, "rejected", str(exc), rejected=df, table=table)
    return Attempt(name, "ok", "; ".join(notes), tables=dict(tables))


def fetch_source(
    name: str,
    conn: Connector,
    scope: Scope,
    previous: Mapping[str, int],
    min_row_share: float,
) -> Attempt:
    """Fetch a cloud price or spend source and validate its tables."""

    def call() -> tuple[Mapping[str, pd.DataFrame], Sequence[str]]:
        result = conn.fetch(scope)
        return result.tables, result.notes

    return attempt(name, call, scope, previous, min_row_share)


def fetch_zone(
    zone: str,
    order: Sequence[tuple[str, GridConnector]],
    scope: Scope,
    previous_rows: int,
    min_row_share: float,
) -> list[Attempt]:
    """Try the grid sources of ``order`` for ``zone`` until one delivers a valid batch.

    Returns every attempt in order (the last one ``ok`` when a source served the zone;
    empty when no source in ``order`` covers it).
    """
    attempts: list[Attempt] = []
    for name, conn in order:
        if not conn.covers(zone, scope):
            continue

        def call(conn: GridConnector = conn) -> tuple[Mapping[str, pd.DataFrame], Sequence[str]]:
            return {"grid_hourly": conn.fetch_zone(zone, scope)}, ()

        a = attempt(name, call, scope, {"grid_hourly": previous_rows}, min_row_share)
        attempts.append(a)
        if a.status == "ok":
            break
    return attempts

"""One HTTP request helper for every REST source (httpx).

Every request has a timeout. 429 and 5xx answers and transport failures (timeouts,
refused or dropped connections) are retried with exponential backoff, honouring
``Retry-After`` (seconds or an HTTP date) up to ``http.retry_after_max_s``. Waits are
bounded twice: a per-source **retry budget** (``http.retry_budget_s``: seconds spent on
failed tries plus waits) and the refresh's **deadline** (:func:`deadline_at`, seen by
every request made on the refresh's behalf, in any thread it hands work to).

What cannot be retried becomes a typed :class:`~connectors.base.SourceError` naming the
source, the HTTP status, the body's own error text (JSON ``error``/``message``/``msg``/
``detail`` strings, or an HTML page's title, short and redacted; never the raw body, which
can echo the request) and, for 401/403, the variable to set.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from connectors.base import (
    SourceAuthError,
    SourceDataError,
    SourceError,
    SourceRequestError,
    SourceUnavailable,
)
from connectors.redact import redact
from connectors.settings import HttpSettings

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
ERROR_TEXT_MAX_CHARS = 200

# time.monotonic() by which the current refresh must be done (None: no deadline).
_DEADLINE: ContextVar[float | None] = ContextVar("regionplan_refresh_deadline", default=None)


@contextmanager
def deadline_at(monotonic_s: float | None) -> Iterator[None]:
    """Within this block (and in contexts copied from it), requests end by ``monotonic_s``."""
    token = _DEADLINE.set(monotonic_s)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left_s() -> float | None:
    """Seconds left before the current deadline, or None when there is none."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()


def clock_text(seconds_from_now: float) -> str:
    """A UTC time ``seconds_from_now`` ahead, ``HH:MMZ`` (when to retry)."""
    when = datetime.fromtimestamp(time.time() + seconds_from_now, UTC)
    return when.strftime("%Y-%m-%dT%H:%MZ")


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    ref = now or datetime.now(UTC)
    return max(0.0, (when - ref).total_seconds())


def error_text(response: httpx.Response) -> str:
    """The body's own error text, short and redacted: JSON error fields or an HTML title.

    Anything else is described, not quoted (``non-JSON body, 512 bytes``): an error body
    can echo the request, headers and credentials included.
    """
    body = response.text[:4000]
    ctype = response.headers.get("content-type", "")
    if "html" in ctype or body.lstrip().lower().startswith(("<!doctype", "<html")):
        m = re.search(r"<title>(.*?)</title>", body, re.I | re.S)
        title = m.group(1).strip()[:ERROR_TEXT_MAX_CHARS] if m else "no title"
        return redact(f"HTML error page ({title})")
    if not body.strip():
        return "empty body"
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return f"non-JSON body, {len(response.content)} bytes"
    return redact(_json_error_text(data)[: ERROR_TEXT_MAX_CHARS + 100])


def _strings(value: Any) -> list[str]:
    return [value] if isinstance(value, str) and value else []


def _json_error_text(data: Any) -> str:
    if not isinstance(data, dict):
        return f"JSON {type(data).__name__} without an error message"
    parts: list[str] = []
    err = data.get("error")
    if isinstance(err, dict):  # UK CI / Google / ARM: {"error": {"code", "message"}}
        parts += [str(err[k]) for k in ("code", "message") if isinstance(err.get(k), str | int)]
    else:
        parts += _strings(err)
    for key in ("message", "msg"):
        parts += _strings(data.get(key))
    if isinstance(data.get("detail"), list):  # FastAPI 422
        parts += [str(d["msg"]) for d in data["detail"] if isinstance(d, dict) and "msg" in d]
    else:
        parts += _strings(data.get("detail"))
    if parts:
        return "; ".join(p[:ERROR_TEXT_MAX_CHARS] for p in parts)
    keys = ", ".join(str(k)[:40] for k in list(data)[:5])
    return f"no error message; body keys: {keys}"


@dataclass
class HttpClient:
    """An httpx client bound to one source, with its timeout, retry policy and budget.

    ``source`` names the source in every error; ``auth_hint`` says what to set when the
    source answers 401/403 (e.g. "set ELECTRICITYMAPS_API_KEY"). ``sleep`` is injectable
    so tests can record the waits. ``spent_s`` is the retry budget used so far (seconds
    of failed tries and waits); the client is safe to share between threads.
    """

    source: str
    settings: HttpSettings
    auth_hint: str = ""
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    spent_s: float = field(default=0.0, init=False)
    _client: httpx.Client | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def _http(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                s = self.settings
                timeout = httpx.Timeout(s.timeout_s, connect=s.connect_timeout_s)
                self._client = httpx.Client(
                    timeout=timeout,
                    transport=self.transport,
                    headers={"Accept": "application/json", "User-Agent": "regionplan"},
                    follow_redirects=False,
                )
            return self._client

    def close(self) -> None:
        """Close the underlying connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def _spend(self, seconds: float) -> None:
        with self._lock:
            self.spent_s += seconds

    def _give_up(self, failure: str, retry_in_s: float | None = None) -> SourceUnavailable:
        when = f"; retry after {clock_text(retry_in_s)}" if retry_in_s else "; retry later"
        return SourceUnavailable(self.source, f"{failure}{when}")

    def _check_bounds(self, failure: str | None) -> float:
        """The timeout for the next try (s), or raise when the budget or deadline is spent."""
        s = self.settings
        if self.spent_s >= s.retry_budget_s:  # also for a new request: the source is down
            raise self._give_up(
                f"{failure + '; ' if failure else ''}retry budget spent on failed tries "
                f"({self.spent_s:.1f} s of http.retry_budget_s={s.retry_budget_s:g})"
            )
        left = time_left_s()
        if left is not None and left <= 0:
            raise self._give_up(
                f"{failure + '; ' if failure else ''}refresh deadline reached (refresh.deadline_s)"
            )
        return s.timeout_s if left is None else max(0.05, min(s.timeout_s, left))

    def _wait(self, attempt: int, response: httpx.Response | None, failure: str) -> float:
        s = self.settings
        wait = min(s.backoff_max_s, s.backoff_base_s * 2 ** (attempt - 1))
        if response is not None:
            hinted = retry_after_s(response.headers.get("retry-after"))
            if hinted is not None:
                if hinted > s.retry_after_max_s:
                    raise self._give_up(
                        f"{failure}; Retry-After {hinted:.0f} s exceeds "
                        f"http.retry_after_max_s={s.retry_after_max_s:g}",
                        hinted,
                    )
                wait = max(wait, hinted)
        if self.spent_s >= s.retry_budget_s:
            raise self._give_up(
                f"{failure}; retry budget spent ({self.spent_s:.1f} s of "
                f"http.retry_budget_s={s.retry_budget_s:g})"
            )
        if self.spent_s + wait > s.retry_budget_s:
            raise self._give_up(
                f"{failure}; waiting {wait:.1f} s more would exceed "
                f"http.retry_budget_s={s.retry_budget_s:g}",
                wait,
            )
        left = time_left_s()
        if left is not None and wait >= left:
            raise self._give_up(f"{failure}; refresh deadline reached (refresh.deadline_s)", wait)
        return wait

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        json_body: Any = None,
    ) -> httpx.Response:
        """Send with bounded retries; return a 2xx response or raise a :class:`SourceError`."""
        tries = self.settings.max_tries
        what = f"{method} {httpx.URL(url).path}"
        failure: str | None = None
        for attempt in range(1, tries + 1):
            timeout_s = self._check_bounds(failure)
            response: httpx.Response | None = None
            started = time.monotonic()
            try:
                response = self._http().request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    auth=auth,
                    json=json_body,
                    timeout=httpx.Timeout(
                        timeout_s, connect=min(timeout_s, self.settings.connect_timeout_s)
                    ),
                )
            except httpx.TimeoutException as exc:
                failure = f"timed out ({type(exc).__name__}) on {what}"
            except httpx.TransportError as exc:
                failure = f"connection failed ({type(exc).__name__}) on {what}"
            else:
                if response.status_code < 300:
                    return response
                if response.status_code not in RETRY_STATUS:
                    raise self._classify(response, what)
                failure = f"HTTP {response.status_code} ({error_text(response)}) on {what}"
            self._spend(time.monotonic() - started)
            if attempt == tries:
                raise SourceUnavailable(self.source, f"{failure} after {tries} tries")
            wait = self._wait(attempt, response, failure)
            log.info("%s: %s; retry %d/%d in %.2f s", self.source, failure, attempt, tries, wait)
            self._spend(wait)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def _classify(self, response: httpx.Response, what: str) -> SourceError:
        status, text = response.status_code, error_text(response)
        if status in (401, 403):
            fix = f"; {self.auth_hint}" if self.auth_hint else ""
            return SourceAuthError(self.source, f"HTTP {status} ({text}) on {what}{fix}")
        return SourceRequestError(self.source, f"HTTP {status} ({text}) on {what}")

    def get_json(self, url: str, **kwargs: Any) -> Any:
        """GET and decode JSON; a malformed or truncated body is a :class:`SourceDataError`."""
        return parse_json(self.source, self.request("GET", url, **kwargs))


def parse_json(source: str, response: httpx.Response) -> Any:
    """Decode a JSON body or raise :class:`SourceDataError` naming the source and position."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        path = response.request.url.path
        size = len(response.content)
        raise SourceDataError(
            source, f"malformed or truncated JSON from {path}: {exc} (got {size} bytes)"
        ) from exc


def field_of(source: str, obj: Any, *path: str | int, where: str = "") -> Any:
    """``obj[path[0]][path[1]]…`` or :class:`SourceDataError` naming the missing field."""
    node = obj
    for i, key in enumerate(path):
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            dotted = ".".join(str(k) for k in path[: i + 1])
            raise SourceDataError(
                source, f"response{(' ' + where) if where else ''} lacks field '{dotted}'"
            ) from None
    return node


def number_of(source: str, value: Any, where: str) -> float:
    """A JSON number as float, or :class:`SourceDataError` naming ``where``.

    Strict on type: a number sent as a string (``"98.32"``, ``"lots"``), a boolean, a null
    or a NaN is a malformed body, not something to coerce (a NaN would later read as "not
    published"). Range and infinities are judged on the whole batch
    (:mod:`connectors.validate`), which quarantines it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceDataError(source, f"field '{where}' is not a number ({type(value).__name__})")
    if math.isnan(value):  # not JSON; once parsed it would pass for "not published"
        raise SourceDataError(source, f"field '{where}' is NaN")
    return float(value)

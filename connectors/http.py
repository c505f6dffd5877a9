"""One HTTP request helper for every REST source (httpx).

Every request has a timeout. 429 and 5xx answers and transport failures (timeouts,
refused or dropped connections) are retried with exponential backoff, honouring
``Retry-After`` (seconds or an HTTP date). What cannot be retried becomes a typed
:class:`~connectors.base.SourceError` naming the source, the HTTP status, the body's own
error text (JSON ``error``/``message``/``msg``/``detail``, or an HTML page's title) and,
for 401/403, the variable to set. Headers and credentials never enter a message or a log.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
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
from connectors.settings import HttpSettings

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


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
    """The body's own error text, short: JSON error fields, an HTML title, or a snippet."""
    body = response.text[:2000]
    ctype = response.headers.get("content-type", "")
    if "html" in ctype or body.lstrip().lower().startswith(("<!doctype", "<html")):
        m = re.search(r"<title>(.*?)</title>", body, re.I | re.S)
        return f"HTML error page ({m.group(1).strip() if m else 'no title'})"
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return body.strip()[:200] or "(empty body)"
    return _json_error_text(data)


def _json_error_text(data: Any) -> str:
    if not isinstance(data, dict):
        return str(data)[:200]
    parts: list[str] = []
    err = data.get("error")
    if isinstance(err, dict):  # UK CI / Google / ARM: {"error": {"code", "message"}}
        parts += [str(err[k]) for k in ("code", "message") if err.get(k)]
    elif err:
        parts.append(str(err))
    for key in ("message", "msg"):
        if data.get(key):
            parts.append(str(data[key]))
    if isinstance(data.get("detail"), list):  # FastAPI 422
        parts += [str(d.get("msg", d)) for d in data["detail"] if isinstance(d, dict)]
    elif data.get("detail"):
        parts.append(str(data["detail"]))
    return "; ".join(parts)[:300] or json.dumps(data)[:200]


@dataclass
class HttpClient:
    """An httpx client bound to one source, with its timeout and retry policy.

    ``source`` names the source in every error; ``auth_hint`` says what to set when the
    source answers 401/403 (e.g. "set ELECTRICITYMAPS_API_KEY"). ``sleep`` is injectable
    so tests can record the waits.
    """

    source: str
    settings: HttpSettings
    auth_hint: str = ""
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    _client: httpx.Client | None = field(default=None, init=False, repr=False)

    def _http(self) -> httpx.Client:
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

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        s = self.settings
        wait = min(s.backoff_max_s, s.backoff_base_s * 2 ** (attempt - 1))
        if response is not None:
            hinted = retry_after_s(response.headers.get("retry-after"))
            if hinted is not None:
                if hinted > s.retry_after_max_s:
                    raise SourceUnavailable(
                        self.source,
                        f"HTTP {response.status_code}; Retry-After {hinted:.0f} s exceeds "
                        f"http.retry_after_max_s={s.retry_after_max_s:.0f} s",
                    )
                wait = max(wait, hinted)
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
        """Send with retries; return a 2xx response or raise a :class:`SourceError`."""
        tries = self.settings.max_tries
        what = f"{method} {httpx.URL(url).path}"
        for attempt in range(1, tries + 1):
            response: httpx.Response | None = None
            try:
                response = self._http().request(
                    method, url, params=params, headers=headers, auth=auth, json=json_body
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
            if attempt == tries:
                raise SourceUnavailable(self.source, f"{failure} after {tries} tries")
            wait = self._wait(attempt, response)
            log.info("%s: %s; retry %d/%d in %.2f s", self.source, failure, attempt, tries, wait)
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

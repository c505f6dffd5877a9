"""The shared HTTP helper against a real server on 127.0.0.1: retries, Retry-After,
timeouts, error classification and malformed bodies."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors.base import SourceAuthError, SourceDataError, SourceRequestError, SourceUnavailable
from connectors.http import HttpClient, error_text, retry_after_s
from connectors.settings import HttpSettings


def client(sleeps: list[float], **over: float) -> HttpClient:
    cfg = HttpSettings(
        timeout_s=over.pop("timeout_s", 2.0),
        connect_timeout_s=1.0,
        backoff_base_s=over.pop("backoff_base_s", 0.5),
        backoff_max_s=4.0,
        **over,
    )  # type: ignore[arg-type]
    return HttpClient("demo", cfg, auth_hint="set DEMO_KEY", sleep=sleeps.append)


def test_retries_5xx_with_exponential_backoff_then_succeeds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_json({}, status=500)
    httpserver.expect_ordered_request("/x").respond_with_json({}, status=502)
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": 1})
    sleeps: list[float] = []
    assert client(sleeps).get_json(httpserver.url_for("/x")) == {"ok": 1}
    assert sleeps == [0.5, 1.0]  # base · 2^(n-1)


def test_429_honours_retry_after_seconds(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/x").respond_with_json(
        {"error": "slow down"}, status=429, headers={"Retry-After": "7"}
    )
    httpserver.expect_ordered_request("/x").respond_with_json({"ok": 1})
    sleeps: list[float] = []
    client(sleeps).get_json(httpserver.url_for("/x"))
    assert sleeps == [7.0]


def test_retry_after_http_date() -> None:
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_s(header, now) == pytest.approx(30.0)
    assert retry_after_s("12", now) == 12.0
    assert retry_after_s("soon", now) is None


def test_retry_after_beyond_the_cap_fails_fast(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json(
        {}, status=429, headers={"Retry-After": "3600"}
    )
    sleeps: list[float] = []
    with pytest.raises(SourceUnavailable, match="Retry-After 3600 s exceeds"):
        client(sleeps, retry_after_max_s=60).get_json(httpserver.url_for("/x"))
    assert sleeps == []


def test_persistent_503_names_source_status_and_tries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({"error": "maintenance"}, status=503)
    with pytest.raises(SourceUnavailable) as info:
        client([]).get_json(httpserver.url_for("/x"))
    msg = str(info.value)
    assert msg.startswith("demo: HTTP 503 (maintenance)") and msg.endswith("after 3 tries")
    assert [r.path for r, _ in httpserver.log].count("/x") == 3


def test_timeout_is_retried_then_reported(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    with pytest.raises(SourceUnavailable, match="timed out .*after 2 tries"):
        client([], timeout_s=0.2, max_tries=2).get_json(httpserver.url_for("/slow"))


def test_connection_refused_is_unavailable() -> None:
    with pytest.raises(SourceUnavailable, match="connection failed"):
        client([], max_tries=2).get_json("http://127.0.0.1:9/nothing")


def test_401_is_auth_error_with_the_variable(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({"error": "Token is invalid"}, status=401)
    with pytest.raises(SourceAuthError, match=r"demo: HTTP 401 \(Token is invalid\).*DEMO_KEY"):
        client([]).get_json(httpserver.url_for("/x"))
    assert [r.path for r, _ in httpserver.log].count("/x") == 1  # never retried


def test_html_error_page_is_summarised(httpserver: HTTPServer) -> None:
    html = "<html><head><title>403 Forbidden</title></head><body><center>nginx</center></body>"
    httpserver.expect_request("/x").respond_with_data(html, status=403, content_type="text/html")
    with pytest.raises(SourceAuthError, match=r"HTML error page \(403 Forbidden\)"):
        client([]).get_json(httpserver.url_for("/x"))


def test_400_with_nested_error_body(httpserver: HTTPServer) -> None:
    body = {"error": {"code": "400 Bad Request", "message": "Please enter a valid date"}}
    httpserver.expect_request("/x").respond_with_json(body, status=400)
    with pytest.raises(SourceRequestError, match="400 Bad Request; Please enter a valid date"):
        client([]).get_json(httpserver.url_for("/x"))


@pytest.mark.parametrize("body", ['{"data": [1, 2', "not json", ""])
def test_malformed_or_truncated_json_is_data_error(httpserver: HTTPServer, body: str) -> None:
    httpserver.expect_request("/x").respond_with_data(body, content_type="application/json")
    with pytest.raises(SourceDataError, match="demo: malformed or truncated JSON from /x"):
        client([]).get_json(httpserver.url_for("/x"))


def test_fastapi_422_detail() -> None:
    import httpx

    r = httpx.Response(
        422,
        json={"detail": [{"loc": ["query", "region"], "msg": "field required", "type": "missing"}]},
    )
    assert error_text(r) == "field required"


def test_retry_budget_gives_up_before_a_wait_it_cannot_afford(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/x").respond_with_json({"error": "busy"}, status=503)
    sleeps: list[float] = []
    # backoff 0.5 s after the first try, budget 0.3 s: give up instead of waiting
    with pytest.raises(SourceUnavailable, match=r"exceed http.retry_budget_s=0.3; retry after"):
        client(sleeps, retry_budget_s=0.3, max_tries=5).get_json(httpserver.url_for("/x"))
    assert sleeps == [] and [r.path for r, _ in httpserver.log].count("/x") == 1


def test_retry_budget_counts_the_time_of_failed_tries(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.4)
        return Response("{}", content_type="application/json")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    sleeps: list[float] = []
    c = client(sleeps, timeout_s=0.15, max_tries=10, retry_budget_s=0.25, backoff_base_s=0.0)
    with pytest.raises(SourceUnavailable, match="retry budget spent"):
        c.get_json(httpserver.url_for("/slow"))
    assert c.spent_s >= 0.25 and len(sleeps) <= 1  # at most two timed-out tries, then stop
    assert [r.path for r, _ in httpserver.log].count("/slow") <= 2


def test_the_refresh_deadline_stops_requests(httpserver: HTTPServer) -> None:
    from connectors.http import deadline_at

    httpserver.expect_request("/x").respond_with_json({"ok": 1})
    with (
        deadline_at(time.monotonic() - 1),
        pytest.raises(SourceUnavailable, match=r"refresh deadline reached \(refresh.deadline_s\)"),
    ):
        client([]).get_json(httpserver.url_for("/x"))
    assert httpserver.log == []


def test_error_bodies_are_described_not_quoted() -> None:
    import httpx

    echo = "GET /x HTTP/1.1\nAuthorization: Bearer tok-ECHOED\nX-Api-Key: k-ECHOED"
    assert error_text(httpx.Response(500, text=echo)) == f"non-JSON body, {len(echo)} bytes"
    quoted = error_text(httpx.Response(400, json={"message": f"bad request: {echo}"}))
    assert "ECHOED" not in quoted and quoted.startswith("bad request: GET /x")
    assert error_text(httpx.Response(503, json={"e": 1})) == "no error message; body keys: e"


def test_a_spent_budget_fails_later_requests_at_once(httpserver: HTTPServer) -> None:
    """An unresponsive source costs its budget once per run, not once per zone."""
    httpserver.expect_request("/x").respond_with_json({"error": "down"}, status=503)
    c = client([], max_tries=2, retry_budget_s=0.0001, backoff_base_s=0.0)
    with pytest.raises(SourceUnavailable):
        c.get_json(httpserver.url_for("/x"))
    tries = len(httpserver.log)
    with pytest.raises(SourceUnavailable, match="retry budget spent on failed tries"):
        c.get_json(httpserver.url_for("/x"))
    assert len(httpserver.log) == tries  # no request made

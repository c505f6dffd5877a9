"""The malformed-scenario corpus uploaded to the app: the app's own error panel, never an
exception, and the panel names the field."""

from __future__ import annotations

import time
from pathlib import Path

from malformed_corpus import all_cases
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app" / "streamlit_app.py")
TIMEOUT_S = 300
PER_UPLOAD_LIMIT_S = 30.0


def flat(text: str) -> str:
    return " ".join(text.split())


def test_every_malformed_upload_shows_the_error_panel() -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT_S)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    next(s for s in at.sidebar.selectbox if s.label == "Scenario").set_value(
        "Upload a YAML file…")
    at.run()
    failures: list[str] = []
    for case, text, expected in all_cases():
        data = text.encode("utf-8", "surrogateescape")
        at.sidebar.file_uploader[0].set_value((f"{case}.yaml", data, "application/x-yaml"))
        t0 = time.perf_counter()
        at.run()
        wall_s = time.perf_counter() - t0
        if at.exception:
            failures.append(f"{case}: exception {[e.value for e in at.exception][:1]}")
            continue
        panels = " ".join(flat(e.value) for e in at.error)
        missing = [p for p in expected if flat(p) not in panels]
        if not at.error or missing or at.metric or wall_s > PER_UPLOAD_LIMIT_S:
            failures.append(f"{case}: missing {missing} in {panels[:300]!r}; "
                            f"{len(at.metric)} metric(s); {wall_s:.1f} s")
    assert not failures, "\n".join(failures)

"""``regionplan app`` passes SIGTERM on: stopping it stops the Streamlit server.

A real process: start the command on a free port, wait until the server answers, send
SIGTERM to the command (not to the server) and check that the port closes and no process
serving that port is left.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains ``text`` (Linux /proc)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmdline = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            found.append(int(d.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux /proc")
def test_sigterm_to_regionplan_app_stops_the_server(tmp_path: Path) -> None:
    port = free_port()
    regionplan = Path(sys.executable).parent / "regionplan"
    cmd = [str(regionplan), "app", "--headless", "--port", str(port), "--address", "127.0.0.1"]
    log = tmp_path / "app.log"
    server: list[int] = []
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    url = f"http://127.0.0.1:{port}/_stcore/health"
                    with urllib.request.urlopen(url, timeout=2) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the app did not start:\n{log.read_text()}")
                time.sleep(0.3)
            server = [p for p in processes_mentioning(f"--server.port {port}") if p != proc.pid]
            assert server, "the server runs in a child process"
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=STOP_TIMEOUT_S)  # the command ends once its server has
            deadline = time.monotonic() + STOP_TIMEOUT_S
            while port_open(port) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not port_open(port), "the server still listens after SIGTERM"
            assert [p for p in server if Path(f"/proc/{p}").exists()
                    and "zombie" not in _state(p)] == []
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for pid in server:  # the server this test started, if it outlived the test
                if Path(f"/proc/{pid}").exists():
                    os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return next((ln for ln in status.splitlines() if ln.startswith("State:")), "")

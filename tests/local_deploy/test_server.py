"""Stopping the emulator: a server this process started must be seen as gone once it exits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from local_deploy import server


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]


def test_an_exited_child_is_reaped_and_seen_as_gone() -> None:
    # An exited child that nobody has waited for is a zombie: kill(pid, 0) still finds it, so
    # stop() waited its whole 10 s deadline and then sent SIGKILL to a process already gone.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    while _state(child.pid) != "Z":
        time.sleep(0.01)
    assert server._exited(child.pid)
    assert not Path(f"/proc/{child.pid}").exists()  # reaped: no zombie left behind
    child.returncode = 0  # reaped above; keeps Popen's own finaliser from waiting again


def test_a_running_process_is_not_seen_as_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert not server._exited(child.pid)
    finally:
        child.kill()
        child.wait()

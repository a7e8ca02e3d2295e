"""Start, find and stop the moto server that holds the local deployment's state.

The server runs detached (its own session), so the deployment stays up after the command
that started it; its pid and log live under ``.local/``. ``moto_cfn_models.register()`` runs
inside the server process, before it serves anything.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from local_deploy.settings import REPO_ROOT, LocalSettings

_STARTUP_TIMEOUT_S = 60.0


class ServerError(RuntimeError):
    """The emulator could not be started, reached or stopped."""


def _responds(settings: LocalSettings) -> bool:
    try:
        with urllib.request.urlopen(f"{settings.endpoint}/moto-api/", timeout=2):
            return True
    except (urllib.error.URLError, OSError):
        return False


def running_pid(settings: LocalSettings) -> int | None:
    """The pid of this port's emulator if it is alive, else None (a stale pid file is removed)."""
    try:
        pid = int(settings.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        settings.pid_file.unlink(missing_ok=True)
        return None
    return pid


def start(settings: LocalSettings) -> int:
    """Start the emulator unless it already runs; return its pid once it answers."""
    pid = running_pid(settings)
    if pid is not None:
        if not _responds(settings):
            raise ServerError(f"emulator pid {pid} runs but {settings.endpoint} does not answer")
        return pid
    if _responds(settings):
        raise ServerError(
            f"port {settings.port} is taken by a server this tool did not start; "
            "choose another with LOCAL_PORT=NNNN"
        )
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with settings.log_file.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "local_deploy.server", "--port", str(settings.port)],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=settings.process_environment(),
        )
    settings.pid_file.write_text(f"{process.pid}\n")
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            settings.pid_file.unlink(missing_ok=True)
            raise ServerError(
                f"emulator exited with status {process.returncode}; see {settings.log_file}"
            )
        if _responds(settings):
            return process.pid
        time.sleep(0.2)
    stop(settings)
    raise ServerError(f"emulator did not answer within {_STARTUP_TIMEOUT_S:.0f}s")


def _exited(pid: int) -> bool:
    """Whether the emulator process has gone. A server this process started (`start`) stays a
    zombie that `kill(pid, 0)` still finds until it is reaped, so reap it first; one started by
    another process (an earlier CLI call) is not our child."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped:
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def stop(settings: LocalSettings) -> bool:
    """Stop this port's emulator (all its state goes with it). False if none was running."""
    pid = running_pid(settings)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while not _exited(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)
    settings.pid_file.unlink(missing_ok=True)
    return True


def serve(port: int) -> None:
    """Run the emulator in this process until SIGTERM or SIGINT."""
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    import moto_cfn_models  # noqa: PLC0415 - only the server process needs moto loaded

    moto_cfn_models.register()
    from local_deploy import sagemaker_local  # noqa: PLC0415 - patches moto, loaded above

    sagemaker_local.install()  # pipeline executions run; ListPipelineExecutionSteps
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    stopped = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopped.set())
    print(f"moto server with moto_cfn_models on http://localhost:{port}", flush=True)
    stopped.wait()
    server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Run the local moto server in the foreground.")
    parser.add_argument("--port", type=int, required=True)
    serve(parser.parse_args().port)

"""Starting the local stack (`python -m infra.local.run`) from another process, on ports nothing uses.

The end-to-end tests, the benches and `make chaos` each run their own stack, with its own folder:

    process = launch(work / "local", work / "stack.log", env={"VIGIA_LOCAL_LOG_LEVEL": "WARNING"})
    outputs = wait_for_outputs(process, work / "local", timeout_s=90)   # None: it exited or was too slow
    ...
    stop(process)                                                        # Ctrl-C, as a developer would
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# settings the stack reads from its environment: the caller's own never leak into a stack it starts
OWN_PREFIXES = ("AWS_", "VIGIA_", "SMS_", "CAD_")


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (bound to 0 together, so they differ, then released)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def stack_environment(local_dir: Path, settings: dict[str, str]) -> dict[str, str]:
    """This process's environment without the stack's own settings, plus the stack's folder and `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions"), str(ROOT)])
    env["VIGIA_LOCAL_DIR"] = str(local_dir)
    env.update(settings)
    return env


def launch(
    local_dir: Path, log_path: Path, *, residents: int = 300, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Starts a stack on three free ports (emulator, API, WebSocket) with the demo seed of `residents` and no
    demo history; `env` adds to or overrides those settings. Its output goes to `log_path`."""
    local_dir.mkdir(parents=True, exist_ok=True)
    aws_port, api_port, ws_port = free_ports(3)
    settings = {
        "VIGIA_AWS_PORT": str(aws_port),
        "VIGIA_API_PORT": str(api_port),
        "VIGIA_WS_PORT": str(ws_port),
        "VIGIA_DEMO_RESIDENTS": str(residents),
        "VIGIA_DEMO_HISTORY_DAYS": "0",  # no demo history (infra/local/demo_history.py) unless asked
        **(env or {}),
    }
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "infra.local.run"],
            cwd=ROOT,
            env=stack_environment(local_dir, settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_for_outputs(
    process: subprocess.Popen[bytes], local_dir: Path, timeout_s: float
) -> dict[str, Any] | None:
    """The stack's outputs.json once it is ready; None if it exited first or was not ready in time."""
    path = local_dir / "outputs.json"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():  # written atomically (TemplateStack.save_outputs)
            return dict(json.loads(path.read_text(encoding="utf-8")))
        if process.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def stop(process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> int:
    """Ctrl-C, then a kill if it has not exited within `timeout_s`; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)

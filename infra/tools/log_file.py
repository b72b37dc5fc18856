"""Keeps a tool's stdout for its figures: the functions' JSON logs and EMF metric lines go to a file it names.

Powertools' Logger writes one JSON object a line to the stdout it found when it was created, and Metrics
prints its EMF blobs to the stdout of the moment: in Lambda both are CloudWatch's, in a bench or a `make`
tool they bury the figures. `logs_to(path)` routes every whole line that is a JSON object to `path`, every
other line (the figures, the tables) to the real stdout, and the standard library's log records and
warnings (moto's, the local stack's) to `path` as JSON lines too.
"""

from __future__ import annotations

import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO


def is_log_line(line: str) -> bool:
    """A line a function logged (a Powertools record or an EMF metric blob): one JSON object."""
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return False
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


@dataclass
class Routed:
    """Where the logs went and how many lines."""

    path: Path
    lines: int = 0


class _LineRouter(io.TextIOBase):
    """A stdout that sorts whole lines: log lines to the file, the rest to the terminal. Lines are
    assembled per thread (print() writes the text and the newline in two calls; pumps log from threads)."""

    def __init__(self, figures: TextIO, log: TextIO, routed: Routed) -> None:
        self._figures = figures
        self._log = log
        self._routed = routed
        self._pending = threading.local()
        self._lock = threading.Lock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._figures.encoding

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self._figures.isatty()

    def write(self, text: str) -> int:
        buffered = getattr(self._pending, "text", "") + text
        *lines, rest = buffered.split("\n")
        self._pending.text = rest
        for line in lines:
            self._emit(line + "\n")
        return len(text)

    def _emit(self, line: str) -> None:
        with self._lock:
            if is_log_line(line):
                self._log.write(line)
                self._routed.lines += 1
            else:
                self._figures.write(line)

    def flush(self) -> None:
        with self._lock:
            self._figures.flush()
            self._log.flush()

    def close_line(self) -> None:
        rest = getattr(self._pending, "text", "")
        self._pending.text = ""
        if rest:
            self._emit(rest)


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "timestamp": self.formatTime(record),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _not_handled_below_root(record: logging.LogRecord) -> bool:
    """True unless a logger between the record's and the root has its own handler (Powertools' does:
    its records reach the file through stdout already)."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None and logger is not logging.root:
        # (captureWarnings gives py.warnings a NullHandler, which shows nothing)
        if any(not isinstance(handler, logging.NullHandler) for handler in logger.handlers):
            return False
        if not logger.propagate:
            return True
        logger = logger.parent
    return True


class _CountingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self, stream: TextIO, routed: Routed) -> None:
        super().__init__(stream)
        self._routed = routed

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        self._routed.lines += 1


@contextmanager
def logs_to(path: Path) -> Iterator[Routed]:
    """Within the block, log lines go to `path` (created afresh) and the rest of stdout stays stdout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    routed = Routed(path)
    with path.open("w", encoding="utf-8") as log:
        terminal = sys.stdout
        router = _LineRouter(terminal, log, routed)
        root_handler = _CountingHandler(log, routed)
        root_handler.setFormatter(_JsonLines())
        root_handler.addFilter(_not_handled_below_root)
        # handlers created before the block (a logger made at import) hold the terminal itself
        retargeted = [
            handler
            for logger in [logging.root, *logging.Logger.manager.loggerDict.values()]
            if isinstance(logger, logging.Logger)
            for handler in logger.handlers
            if type(handler) is logging.StreamHandler and handler.stream is terminal
        ]
        for handler in retargeted:
            handler.setStream(router)
        logging.root.addHandler(root_handler)
        logging.captureWarnings(True)
        sys.stdout = router
        try:
            yield routed
        finally:
            router.close_line()
            sys.stdout = terminal
            logging.captureWarnings(False)
            logging.root.removeHandler(root_handler)
            for handler in retargeted:
                handler.setStream(terminal)
            terminal.flush()

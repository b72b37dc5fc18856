"""Logger, metrics and (lazily) the tracer, shared by every handler."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()


@functools.cache
def tracer() -> Any:
    """X-Ray tracer, imported on first use only: it costs cold-start time the API path need not pay."""
    from aws_lambda_powertools import Tracer

    return Tracer()

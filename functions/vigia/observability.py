"""Logger, metrics and (lazily) the tracer, shared by every handler."""

from __future__ import annotations

import functools
from typing import Any

from aws_lambda_powertools import Logger, Metrics

# Explicit defaults (the template's POWERTOOLS_* variables still win): a handler imported before its
# environment is set, as in tests, must still emit valid EMF rather than fail on a missing namespace.
logger = Logger(service="vigia")
metrics = Metrics(namespace="Vigia", service="vigia")


@functools.cache
def tracer() -> Any:
    """X-Ray tracer, imported on first use only: it costs cold-start time the API path need not pay."""
    from aws_lambda_powertools import Tracer

    return Tracer()

"""Alerts: what a resident sends in one tap, stored before it is acknowledged."""

from vigia.alerts.submission import Alert, AlertRequest, AlertStore, IdempotencyClaim, submit

__all__ = ["Alert", "AlertRequest", "AlertStore", "IdempotencyClaim", "submit"]

"""Domain exceptions, named for what went wrong in the city's terms; mapped to HTTP once, at the edge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str
    message: str


class VigiaError(Exception):
    """Base of every error a caller may see. `status` and `title` are the HTTP mapping."""

    status = 500
    title = "Internal error"
    slug = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra


class InvalidRequest(VigiaError):
    status, title, slug = 400, "Invalid request", "invalid-request"


class NotAuthenticated(VigiaError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(VigiaError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(VigiaError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(VigiaError):
    status, title, slug = 409, "Conflict", "conflict"


class Unprocessable(VigiaError):
    status, title, slug = 422, "Unprocessable request", "unprocessable"


class PayloadTooLarge(VigiaError):
    status, title, slug = 413, "Request body too large", "payload-too-large"


class UnsupportedMediaType(VigiaError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class OutsideServiceArea(Unprocessable):
    title, slug = "Location outside the service area", "outside-service-area"


class IdempotencyKeyReused(Unprocessable):
    title, slug = "Idempotency-Key reused with a different request", "idempotency-key-reused"


class TooManyAlerts(VigiaError):
    status, title, slug = 429, "Too many alerts", "too-many-alerts"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


class TooManyRegistrations(VigiaError):
    status, title, slug = 429, "Too many registrations", "too-many-registrations"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s

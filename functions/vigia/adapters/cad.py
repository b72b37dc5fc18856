"""The provincial CAD: HTTPS POST of a CAP 1.2 document, HMAC-signed, with timeouts and jittered retries."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from vigia import clock, settings
from vigia.adapters import faults, outbox, secrets
from vigia.dispatch import backoff, cap, signing

# The CAP message's identifier, sent again with every attempt of the same message: a CAD that keeps the
# identifiers it has acted on answers a repeat without acting twice (the local fake CAD does).
IDEMPOTENCY_HEADER = "Idempotency-Key"


class CadRefused(Exception):
    """The CAD answered with an error status (4xx other than 408/429 is not worth retrying now)."""

    def __init__(self, status: int, retryable: bool) -> None:
        super().__init__(f"CAD answered HTTP {status}")
        self.status = status
        self.retryable = retryable


def resolve_url(pack_url: str, cad_id: str | None = None) -> str:
    """The city pack's CAD URL, unless settings override it (the local stack points it at its fake CAD):
    then the provincial CAD is the override itself and every other CAD the override + "/" + its id, so one
    stand-in catches them all and tells them apart by path."""
    override = settings.get().provincial_cad_url
    if not override:
        return pack_url
    return override if cad_id is None else f"{override.rstrip('/')}/{cad_id}"


def _is_override(url: str, override: str | None) -> bool:
    return bool(override) and (url == override or url.startswith(f"{str(override).rstrip('/')}/"))


def post_cap(
    url: str,
    body: bytes,
    *,
    alert_id: str,
    kind: str,
    cad_id: str | None = None,
    sleep: object = time.sleep,
) -> str:
    """POSTs the CAP document, signed with the key of CAD `cad_id` (None: the provincial CAD); returns the
    CAD's answer status as text. Raises after the last attempt."""
    s = settings.get()
    if not url.startswith("https://") and not (
        url.startswith("http://") and _is_override(url, s.provincial_cad_url)
    ):
        raise ValueError("the CAD URL must be https (plain http only for a configured local override)")
    # the stack's secret, as it is for the provincial CAD, derived for any other (signing.cad_key)
    secret = signing.cad_key(secrets.read(s.cad_secret_id), cad_id)
    attempts = max(1, s.cad_attempts)
    identifier = cap.parse(body).findtext(f"{{{cap.CAP_NS}}}identifier") or ""
    fault = faults.at("webhook_sender", alert_id=alert_id, message=kind)  # a local chaos run only
    if fault == "provider_error":
        raise faults.InjectedFault("webhook_sender: provider_error (fault injected on purpose)")
    if fault == "timeout":
        raise TimeoutError("webhook_sender: timeout (fault injected on purpose)")
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        timestamp = clock.iso(clock.now())
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": cap.CONTENT_TYPE,
                signing.TIMESTAMP_HEADER: timestamp,
                signing.SIGNATURE_HEADER: signing.sign(secret, body, timestamp),
                IDEMPOTENCY_HEADER: identifier,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=s.cad_timeout_s) as answer:  # noqa: S310
                status = int(answer.status)
            outbox.record("webhook", url, alert_id, body.decode("utf-8"), kind=kind, status=status)
            if fault == "crash_after_accept":
                raise faults.InjectedCrash("webhook_sender: crash_after_accept (fault injected on purpose)")
            return str(status)
        except urllib.error.HTTPError as error:
            retryable = error.code >= 500 or error.code in (408, 429)
            last = CadRefused(error.code, retryable)
            if not retryable:
                raise last from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last = error
        if attempt < attempts:
            pause = backoff.delay_s(attempt, base_s=0.2, cap_s=2.0)
            sleep(pause)  # type: ignore[operator]
    assert last is not None
    raise last

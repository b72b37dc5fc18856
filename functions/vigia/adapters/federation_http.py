"""A partner city's federation door over HTTPS: one POST of a signed message, the answer as it came."""

from __future__ import annotations

import urllib.error
import urllib.request

from vigia import settings
from vigia.adapters import outbox
from vigia.federation.agreement import LOCAL_PAIR_PREFIX
from vigia.federation.forwarding import Answer, PartnerUnreachable
from vigia.federation.jws import SIGNATURE_HEADER
from vigia.federation.messages import CONTENT_TYPE, MAX_MESSAGE_BYTES

_MAX_ANSWER_BYTES = MAX_MESSAGE_BYTES  # an Ack is ~1.5 KB; read no more than a message may be


def allowed(url: str, *, local_pair: bool) -> bool:
    """https always; plain http only to 127.0.0.1 and only on the local pair (FEDERATION_LOCAL_PAIR=1)."""
    if url.startswith("https://"):
        return True
    return local_pair and url.startswith((LOCAL_PAIR_PREFIX + ":", LOCAL_PAIR_PREFIX + "/"))


def post(url: str, body: bytes, signature: str, *, alert_id: str = "", kind: str = "") -> Answer:
    """POSTs `body` with its signature; the partner's status, body and signature. PartnerUnreachable when
    no answer comes (refused, timed out, DNS)."""
    s = settings.get()
    if not allowed(url, local_pair=s.federation_local_pair):
        raise ValueError(
            "a partner's endpoint must be https (plain http only for the local pair on 127.0.0.1)"
        )
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": CONTENT_TYPE, SIGNATURE_HEADER: signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=s.federation_timeout_s) as answer:  # noqa: S310
            status, content, header = int(answer.status), answer.read(_MAX_ANSWER_BYTES), answer.headers
    except urllib.error.HTTPError as error:
        status, content, header = error.code, error.read(_MAX_ANSWER_BYTES), error.headers
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise PartnerUnreachable(f"no answer from the partner: {type(error).__name__}") from None
    outbox.record("federation", url, alert_id, body.decode("utf-8"), kind=kind, status=status)
    return Answer(status, content, header.get(SIGNATURE_HEADER) if header else None)

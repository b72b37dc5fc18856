"""The route table, federation: a partner city's signed messages and this stack's public keys."""

from __future__ import annotations

from vigia.api.routes.spec import PUBLIC, Header, entry
from vigia.federation.jws import SIGNATURE_HEADER
from vigia.federation.messages import CONTENT_TYPE

VIGIA_SIGNATURE = Header(
    SIGNATURE_HEADER,
    2048,
    "The detached JWS (ES256) of the body's exact bytes by the sending partner's key (docs/roaming.md)",
)

ROUTES = (
    entry(
        "POST",
        "/v1/federation/messages",
        "A partner city's signed EDXL-DE/CAP message (Report, Cancel, Update); answered with this city's "
        "signed CAP Ack (its Vigia-Signature header); a message already received, 409 with the same signed "
        "Ack again. No token: the signature is the authentication",
        {PUBLIC},
        request_media=CONTENT_TYPE,
        replay=409,  # the signed Ack, not a problem: the home believes "already received" only from our key
        errors=(400, 401, 413, 422, 429, 503),  # 429: past the partner's visitor_limit (Retry-After)
        headers=(VIGIA_SIGNATURE,),
        tags=("federation",),
        media=(CONTENT_TYPE,),
    ),
    entry(
        "GET",
        "/v1/federation/keys",
        "This stack's public signing keys (a JWK Set; kid = the RFC 7638 thumbprint): what a partner city "
        "puts in its federation.json",
        {PUBLIC},
        tags=("federation",),
        response_schema="responses/federation-keys.json",
    ),
)

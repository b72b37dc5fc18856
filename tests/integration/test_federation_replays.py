"""A replay's 409 is the host's signed word: the real host (this stack, Godoy Cruz) answers a partner's
Report sent again with its signed Ack of it, and the partner's forwarding believes a 409 only when it is
that — never an unsigned 409, one signed by another city's key, or one naming another message."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tests.integration.test_federation_receiving import (  # noqa: F401 - the fixture
    HOST,
    OTHER,
    PARTNER,
    Partner,
    host_keys,
    partners,
    post,
    report,
    visitor_alerts,
)
from vigia.federation import forwarding
from vigia.federation.agreement import Agreement
from vigia.federation.agreement import Partner as Agreed
from vigia.federation.forwarding import Answer, PartnerUnreachable
from vigia.federation.jws import SIGNATURE_HEADER, sign_detached

SQUARE = [[[-69.0, -33.0], [-68.7, -33.0], [-68.7, -32.8], [-69.0, -32.8], [-69.0, -33.0]]]


def penalolen_agreement(api, other: Partner) -> Agreement:
    """Peñalolén's side: Godoy Cruz with the keys its GET /v1/federation/keys publishes, and Las Heras."""
    return Agreement(
        city_id=PARTNER,
        partners=(
            Agreed.of(
                partner_id=HOST,
                name="Godoy Cruz",
                endpoint="https://godoy-cruz.example/v1/federation/messages",
                keys=host_keys(api)["keys"],
                jurisdiction=[SQUARE],
                alert_types=["robbery"],
            ),
            Agreed.of(
                partner_id=OTHER,
                name="Las Heras",
                endpoint="https://las-heras.example/v1/federation/messages",
                keys=[other.jwk],
                jurisdiction=[[[[-68.9, -32.7], [-68.8, -32.7], [-68.8, -32.6], [-68.9, -32.7]]]],
                alert_types=["robbery"],
            ),
        ),
    )


class Host:
    """The home's `post`: the request reaches this stack's real POST /v1/federation/messages."""

    def __init__(self, api) -> None:
        self.api = api
        self.answers: list[Answer] = []

    def __call__(self, url: str, body: bytes, signature: str) -> Answer:
        got = post(self.api, body, signature)
        answer = Answer(got.status, got.body.encode("utf-8"), got.headers.get(SIGNATURE_HEADER))
        self.answers.append(answer)
        return answer


def forward(body: bytes, agreement: Agreement, sender: Partner, answer_with: Any) -> str:
    return forwarding.send(
        body,
        partner_id=HOST,
        distribution_id=forwarding_id(body),
        needs_ack=True,
        agreement=agreement,
        signer=sender.signer(),
        post=answer_with,
    )


def forwarding_id(body: bytes) -> str:
    from vigia.federation.messages import read_message

    return read_message(body).distribution_id


def test_the_hosts_409_to_a_replay_is_its_signed_ack_and_counts_as_delivered(api, stack, partners):  # noqa: F811
    penalolen = partners[PARTNER]
    agreement = penalolen_agreement(api, partners[OTHER])
    body, _ = report(penalolen)
    host = Host(api)

    assert forward(body, agreement, penalolen, host) == "200"
    # the answer was lost on the way back, say: the retry is the same message, and the host has it
    assert forward(body, agreement, penalolen, host) == "409"
    assert [a.status for a in host.answers] == [200, 409]
    assert host.answers[1].signature is not None
    assert len(visitor_alerts(stack)) == 1


def test_a_409_that_is_not_the_hosts_signed_word_on_this_report_does_not_count(api, stack, partners):  # noqa: F811
    penalolen, las_heras = partners[PARTNER], partners[OTHER]
    agreement = penalolen_agreement(api, las_heras)
    first, _ = report(penalolen, distribution_id="penalolen-R1-report", alert_id="R1")
    second, _ = report(penalolen, distribution_id="penalolen-R2-report", alert_id="R2")
    host = Host(api)
    forward(first, agreement, penalolen, host)
    assert forward(first, agreement, penalolen, host) == "409"
    real_409 = host.answers[-1]  # the host's true, signed 409 for the first Report

    forged = {
        "unsigned": replace(real_409, signature=None),
        "unsigned problem": Answer(409, b'{"type": "https://vigia.city/problems/federation-replayed"}', None),
        "signed by another partner's key": replace(
            real_409, signature=sign_detached(real_409.body, las_heras.signer())
        ),
        # a 409 replayed from an earlier message: the host's genuine signed word, but on the first Report
        "replayed from an earlier message": real_409,
    }
    refused = {}
    for why, answer in forged.items():
        try:
            forward(second, agreement, penalolen, lambda *_, answer=answer: answer)
        except PartnerUnreachable as unreachable:  # retried; at the deadline, the home's fallback
            refused[why] = str(unreachable)
    assert set(refused) == set(forged), f"counted as delivered: {set(forged) - set(refused)}"
    # and the second Report, really sent, is delivered on the host's own answer
    assert forward(second, agreement, penalolen, host) == "200"

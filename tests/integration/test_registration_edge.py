"""Registrations per source address behind the console's CloudFront (the residents' app, /app/, signs up
through it): every resident there reaches API Gateway from an edge's address, so the limit counts the viewer
CloudFront names — and only when the request carries the edge's secret, which a caller cannot forge."""

from __future__ import annotations

import boto3

from tests.integration.conftest import registration_body
from vigia import settings
from vigia.api.edge import EDGE_HEADER, VIEWER_HEADER

EDGE_IP = "130.176.0.12"


def edge_secret() -> str:
    arn = settings.get().edge_secret_id
    assert arn, "the API function is given the edge's secret (EDGE_SECRET_ARN)"
    return str(
        boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(SecretId=arn)["SecretString"]
    )


def through_edge(api, name: str, viewer: str, secret: str):
    headers = {EDGE_HEADER: secret, VIEWER_HEADER: f"{viewer}:51234"}
    return api("POST", "/v1/registrations", registration_body(name), headers=headers, source_ip=EDGE_IP)


def test_residents_behind_one_edge_are_not_held_by_one_another(api, stack):
    secret = edge_secret()
    # When seven residents at seven addresses sign up through the same CloudFront edge
    answers = [through_edge(api, f"borde{i}", f"198.51.100.{60 + i}", secret) for i in range(7)]
    # Then each is counted at her own address: nobody is held
    assert [a.status for a in answers] == [202] * 7, [a.body for a in answers]


def test_one_viewer_through_the_edge_stops_at_the_limit(api, stack):
    secret = edge_secret()
    answers = [through_edge(api, f"mismo{i}", "198.51.100.90", secret) for i in range(7)]
    assert [a.status for a in answers] == [202] * 5 + [429] * 2


def test_a_caller_naming_its_own_viewer_address_is_counted_at_its_real_address(api, stack):
    secret = edge_secret()
    # Given an attacker calling the API directly from one address, naming a new "viewer" each time,
    # without the secret, with a guess, and with the secret but one character short
    tries = [{}, {EDGE_HEADER: "guess"}, {EDGE_HEADER: secret[:-1]}, {EDGE_HEADER: secret.upper()}]
    answers = [
        api(
            "POST",
            "/v1/registrations",
            registration_body(f"falsa{i}"),
            headers={**tries[i % len(tries)], VIEWER_HEADER: f"198.51.100.{120 + i}:443"},
            source_ip="203.0.113.66",
        )
        for i in range(7)
    ]
    # Then every try counts at the attacker's own address
    assert [a.status for a in answers] == [202] * 5 + [429] * 2

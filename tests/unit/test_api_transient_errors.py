"""A store that is throttled or briefly down answers 503 with Retry-After, not 500: the resident's app sends
the alert again with its Idempotency-Key, and the alert is stored once (make chaos injects exactly this)."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Router
from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError, TransactWriteError

from tests.support import FakeContext
from tests.support.lambda_events import api_event
from vigia.api.resolver import http_app


def _client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "slow down"}}, "PutItem")


def _answer(error: Exception) -> dict:
    router = Router()

    @router.post("/v1/boom")
    def boom() -> None:
        raise error

    return http_app(router).resolve(api_event("POST", "/v1/boom", {}), FakeContext())


@pytest.mark.parametrize(
    "error",
    [
        PutError("Failed to put item", _client_error("ProvisionedThroughputExceededException")),
        TransactWriteError("Failed to write transaction items", _client_error("InternalServerError")),
        _client_error("ThrottlingException"),
        _client_error("RequestLimitExceeded"),
    ],
)
def test_a_throttled_or_unavailable_store_answers_503_with_retry_after(error: Exception) -> None:
    answer = _answer(error)
    assert answer["statusCode"] == 503
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    assert answer["headers"]["Retry-After"] == "1"
    body = json.loads(answer["body"])
    assert body["status"] == 503
    assert "again" in body["detail"]


@pytest.mark.parametrize(
    "error",
    [
        ValueError("a bug"),
        PutError("Failed to put item", _client_error("ValidationException")),
        _client_error("AccessDeniedException"),
    ],
)
def test_anything_else_unexpected_is_still_a_500(error: Exception) -> None:
    answer = _answer(error)
    assert answer["statusCode"] == 500
    assert "Retry-After" not in answer["headers"]

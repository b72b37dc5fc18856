"""The local stack itself: template → emulator, the HTTP API and its JWT authorizer, pumps, start and stop.

Two stacks run here: the real one (`local_stack`: template.yaml, the demo seed) and a "fake" one, the
same template with every handler swapped for tests/e2e/fake_handlers.py, which echoes or records what
the machinery delivers — so these tests pin the emulation, not the product.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from moto.utilities.utils import load_resource

from infra.local.engine.template import load_template
from tests.e2e.conftest import LocalStackProcess, launch_local_stack

pytestmark = pytest.mark.e2e

FAKE = "tests.e2e.fake_handlers"
FAKE_HANDLERS = {"ApiFunction": "api", "DispatchFunction": "dispatch", "AlertStreamRelayFunction": "relay"}


def fake_template() -> dict[str, Any]:
    """template.yaml with fake handlers, a stream that gives up after 2 retries instead of 10, and one more
    function subscribed to the OpsTopic (SNS → Lambda)."""
    sam = load_template()
    resources = sam["Resources"]
    missing = sorted(set(FAKE_HANDLERS) - set(resources))
    assert not missing, f"these tests drive {missing}, which template.yaml no longer declares"
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["Handler"] = f"{FAKE}.{FAKE_HANDLERS.get(logical_id, 'record')}"
    for event in resources["AlertStreamRelayFunction"]["Properties"]["Events"].values():
        if event["Type"] == "DynamoDB":
            event["Properties"]["MaximumRetryAttempts"] = 2
    resources["FakeOpsListener"] = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Handler": f"{FAKE}.record",
            "Events": {"Ops": {"Type": "SNS", "Properties": {"Topic": {"Ref": "OpsTopic"}}}},
        },
    }
    return sam


def fake_stack_env(directory: Path) -> dict[str, str]:
    path = directory / "fake-template.json"
    path.write_text(json.dumps(fake_template()))
    return {
        "VIGIA_TEMPLATE": str(path),
        "VIGIA_SEED": f"{FAKE}:seed_demo",
        "VIGIA_LOCAL_RETRY_DELAY_S": "0.2",
    }


@pytest.fixture(scope="module")
def fake_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    directory = tmp_path_factory.mktemp("fake-stack")
    stack = launch_local_stack(directory / "local", residents=0, env=fake_stack_env(directory))
    yield stack
    code = stack.stop()
    assert code == 0, stack.log()


def echoed(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return dict(response.json()["event"])


def assert_problem(response: Any, status: int, title: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status
    assert body["title"] == title
    assert body["type"]
    return body


# ==================================================================== the real stack
def test_outputs_name_the_endpoints_the_demo_and_every_resource(local_stack: LocalStackProcess) -> None:
    outputs = local_stack.outputs
    for key in ("ApiUrl", "AwsEndpointUrl", "Region", "UserPoolId", "UserPoolClientId", "City", "DemoUsers"):
        assert outputs.get(key), f"outputs.json has no {key}"
    assert outputs["ApiUrl"].startswith("http://127.0.0.1:")
    assert outputs["UserPoolId"].startswith("us-east-1_")
    sam = load_template()
    for name in sam.get("Outputs") or {}:
        assert name in outputs, f"the template's output {name} is missing"
    unconditional = [lid for lid, r in sam["Resources"].items() if "Condition" not in r]
    assert set(unconditional) <= set(outputs["Resources"])
    assert outputs["StartSeconds"] > 0


def test_health_answers_without_a_token(local_stack: LocalStackProcess) -> None:
    response = local_stack.client().get("/v1/health")

    assert response.status_code == 200


def test_a_route_behind_the_authorizer_without_a_token_is_401(local_stack: LocalStackProcess) -> None:
    body = assert_problem(local_stack.client().get("/v1/me"), 401, "Unauthorized")

    assert "missing" in body["detail"]


def test_the_demo_operator_reaches_the_api_function(local_stack: LocalStackProcess) -> None:
    response = local_stack.client("operator").get("/v1/me")

    assert response.status_code == 200, response.text
    assert "operator" in response.text


def _claims(stack: LocalStackProcess, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": f"https://cognito-idp.us-east-1.amazonaws.com/{stack.outputs['UserPoolId']}",
        "aud": stack.outputs["UserPoolClientId"],
        "sub": "00000000-0000-0000-0000-000000000000",
        "token_use": "id",
        "iat": now - 60,
        "exp": now + 3600,
    }
    claims.update(changes)
    return claims


def _emulator_key() -> RSAKey:
    """The key moto signs every Cognito token with: forged tokens that only differ in one claim."""
    return RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))


def _sign(claims: dict[str, Any], key: RSAKey) -> str:
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda s: _sign(_claims(s), RSAKey.generate_key(2048)), "bad signature"),
        (lambda s: _sign(_claims(s, exp=int(time.time()) - 5), _emulator_key()), "expired"),
        (lambda s: _sign(_claims(s, aud="someone-else"), _emulator_key()), "wrong audience"),
        (lambda s: _sign(_claims(s, iss="https://issuer.example"), _emulator_key()), "wrong issuer"),
        (lambda s: "not-a-token", "malformed"),
    ],
    ids=["other-key", "expired", "other-audience", "other-issuer", "garbage"],
)
def test_tokens_the_authorizer_must_refuse_are_401(
    local_stack: LocalStackProcess, make_token: Any, reason: str
) -> None:
    token = make_token(local_stack)

    response = local_stack.client().get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    body = assert_problem(response, 401, "Unauthorized")
    assert reason in body["detail"]


def test_a_token_from_another_app_client_is_refused(local_stack: LocalStackProcess) -> None:
    idp = local_stack.aws("cognito-idp")
    pool = local_stack.outputs["UserPoolId"]
    other = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="other-app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    user = local_stack.demo_user("operator")
    token = idp.initiate_auth(
        ClientId=other,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": user["username"], "PASSWORD": user["password"]},
    )["AuthenticationResult"]["IdToken"]

    response = local_stack.client().get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert "wrong audience" in assert_problem(response, 401, "Unauthorized")["detail"]


# ==================================================================== the HTTP API's machinery
def test_the_function_gets_an_http_api_event_with_the_claims_as_api_gateway_passes_them(
    fake_stack: LocalStackProcess,
) -> None:
    response = fake_stack.client("operator").get(
        "/v1/things/42?b=&a=1&a=2", headers={"X-Custom": "yes", "Cookie": "c1=1; c2=2"}
    )

    event = echoed(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /v1/{proxy+}"
    assert event["rawPath"] == "/v1/things/42"
    assert event["rawQueryString"] == "b=&a=1&a=2"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"proxy": "things/42"}
    assert event["cookies"] == ["c1=1", "c2=2"]
    assert event["headers"]["x-custom"] == "yes"
    assert "cookie" not in event["headers"]
    context = event["requestContext"]
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "GET"
    assert context["http"]["path"] == "/v1/things/42"
    assert context["routeKey"] == "ANY /v1/{proxy+}"
    claims = context["authorizer"]["jwt"]["claims"]
    groups = claims["cognito:groups"]  # "[operator police]": API Gateway's rendering of a JSON array
    assert groups.startswith("[")
    assert groups.endswith("]")
    assert sorted(groups[1:-1].split(" ")) == ["operator", "police"]
    assert claims["cognito:username"] == "operator@fake.vigia.local"
    assert all(isinstance(v, str) for v in claims.values())
    assert response.headers["x-fake"] == "yes"
    assert "fake=1" in response.headers["set-cookie"]


def test_the_function_gets_a_lambda_context(fake_stack: LocalStackProcess) -> None:
    response = fake_stack.client("operator").get("/v1/context")

    context = response.json()["context"]
    assert context["function_name"] == fake_stack.outputs["Resources"]["ApiFunction"]
    assert context["invoked_function_arn"].endswith(f":function:{context['function_name']}")
    assert context["memory_limit_in_mb"] == 512
    assert 0 < context["remaining_ms"] <= 10_000


def test_an_open_route_reaches_the_function_without_an_authorizer(fake_stack: LocalStackProcess) -> None:
    event = echoed(fake_stack.client().get("/v1/health"))

    assert event["routeKey"] == "GET /v1/health"
    assert "authorizer" not in event["requestContext"]


def test_a_resident_without_groups_has_no_groups_claim(fake_stack: LocalStackProcess) -> None:
    event = echoed(fake_stack.client("unapproved").get("/v1/me"))

    assert "cognito:groups" not in event["requestContext"]["authorizer"]["jwt"]["claims"]


def test_an_access_token_is_accepted_by_its_client_id(fake_stack: LocalStackProcess) -> None:
    user = fake_stack.demo_user("citizen")
    token = fake_stack.tokens(user["username"], user["password"])["AccessToken"]

    event = echoed(fake_stack.client().get("/v1/me", headers={"Authorization": token}))  # bare token

    jwt_context = event["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["client_id"] == fake_stack.outputs["UserPoolClientId"]
    assert jwt_context["scopes"] == ["aws.cognito.signin.user.admin"]


def test_a_function_that_raises_is_500_problem(fake_stack: LocalStackProcess) -> None:
    response = fake_stack.client("operator").get("/v1/boom")

    assert_problem(response, 500, "Internal Server Error")
    assert "the fake API was told to fail" in fake_stack.log()


def test_a_result_without_status_code_is_200_json(fake_stack: LocalStackProcess) -> None:
    response = fake_stack.client("operator").get("/v1/plain")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "world"}


def test_binary_bodies_travel_base64_both_ways(fake_stack: LocalStackProcess) -> None:
    session = fake_stack.client("operator")

    event = echoed(session.post("/v1/upload", data=b"\xff\x00", headers={"Content-Type": "image/png"}))
    answer = session.get("/v1/binary")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\xff\x00"
    assert answer.content == b"\x00\x01\xfe"


def test_an_unknown_route_is_404_problem(fake_stack: LocalStackProcess) -> None:
    assert_problem(fake_stack.client().get("/nowhere"), 404, "Not Found")


# ==================================================================== pumps
def _sqs_records(stack: LocalStackProcess, body: str) -> list[dict[str, Any]]:
    return [e["record"] for e in stack.outbox() if e.get("fake") == "sqs" and e["record"]["body"] == body]


def test_a_published_event_reaches_the_queue_consumer_and_poison_lands_in_the_dlq(
    fake_stack: LocalStackProcess,
) -> None:
    outputs = fake_stack.outputs
    sns, sqs = fake_stack.aws("sns"), fake_stack.aws("sqs")
    queue_arn = outputs["ResourceAttributes"]["DispatchQueue"]["Attributes"]["Arn"]

    sns.publish(TopicArn=outputs["AlertEventsTopicArn"], Message='{"alert": "fine"}')
    sqs.send_message(QueueUrl=outputs["DispatchQueueUrl"], MessageBody='{"alert": "poison"}')

    fine = fake_stack.wait_for(lambda: _sqs_records(fake_stack, '{"alert": "fine"}'))
    assert fine[0]["eventSource"] == "aws:sqs"
    assert fine[0]["eventSourceARN"] == queue_arn
    assert fine[0]["attributes"]["ApproximateReceiveCount"] == "1"
    dlq = outputs["Resources"]["DispatchDLQ"]

    def in_dlq() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages") or [])

    dead = fake_stack.wait_for(in_dlq, timeout=20)
    assert dead[0]["Body"] == '{"alert": "poison"}'
    attempts = _sqs_records(fake_stack, '{"alert": "poison"}')
    assert [r["attributes"]["ApproximateReceiveCount"] for r in attempts] == ["1", "2", "3", "4", "5"]
    assert len(_sqs_records(fake_stack, '{"alert": "fine"}')) == 1  # the good one was deleted, not retried


def _stream_records(stack: LocalStackProcess, pk: str) -> list[dict[str, Any]]:
    return [
        e["record"]
        for e in stack.outbox()
        if e.get("fake") == "stream" and e["record"]["dynamodb"]["Keys"]["pk"]["S"] == pk
    ]


def test_stream_records_are_filtered_and_failures_go_to_the_on_failure_destination(
    fake_stack: LocalStackProcess,
) -> None:
    outputs = fake_stack.outputs
    table = outputs["Resources"]["AlertsTable"]
    ddb, sqs = fake_stack.aws("dynamodb"), fake_stack.aws("sqs")

    ddb.put_item(TableName=table, Item={"pk": {"S": "ALERT#other"}, "sk": {"S": "NOTE"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "ALERT#poison"}, "sk": {"S": "ALERT"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "ALERT#1"}, "sk": {"S": "ALERT"}, "n": {"N": "7"}})

    delivered = fake_stack.wait_for(lambda: _stream_records(fake_stack, "ALERT#1"))
    record = delivered[0]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventSourceARN"] == outputs["ResourceAttributes"]["AlertsTable"]["Attributes"]["StreamArn"]
    assert record["dynamodb"]["NewImage"]["n"] == {"N": "7"}
    assert isinstance(record["dynamodb"]["ApproximateCreationDateTime"], int | float)
    dlq = outputs["Resources"]["RelayDLQ"]

    def on_failure() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages") or [])

    failure = json.loads(fake_stack.wait_for(on_failure, timeout=20)[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["DDBStreamBatchInfo"]["streamArn"] == record["eventSourceARN"]
    # the batch from the failed record on (ALERT#1 too, when both came in one batch) is given up
    assert failure["failedRecords"][0]["Keys"]["pk"]["S"] == "ALERT#poison"
    assert len(_stream_records(fake_stack, "ALERT#poison")) == 3  # the first try and 2 retries
    assert _stream_records(fake_stack, "ALERT#other") == []  # the filter wants sk = ALERT


def test_a_function_subscribed_to_a_topic_gets_an_sns_event(fake_stack: LocalStackProcess) -> None:
    topic = fake_stack.outputs["ResourceAttributes"]["OpsTopic"]["Ref"]

    fake_stack.aws("sns").publish(
        TopicArn=topic, Subject="DLQ", Message="ops-hello",
        MessageAttributes={"queue": {"DataType": "String", "StringValue": "sms"}},
    )  # fmt: skip

    def delivered() -> list[dict[str, Any]]:
        return [
            e["event"]["Records"][0] for e in fake_stack.outbox()
            if e.get("fake") == "other" and "Records" in e["event"]
            and e["event"]["Records"][0].get("EventSource") == "aws:sns"
        ]  # fmt: skip

    record = fake_stack.wait_for(delivered)[0]
    assert record["Sns"]["TopicArn"] == topic
    assert record["Sns"]["Message"] == "ops-hello"
    assert record["Sns"]["Subject"] == "DLQ"
    assert record["Sns"]["MessageAttributes"]["queue"] == {"Type": "String", "Value": "sms"}


def test_invoke_function_runs_a_function_against_a_running_stack(fake_stack: LocalStackProcess) -> None:
    result = fake_stack.invoke("ApiFunction", {"rawPath": "/v1/plain"})

    assert result == {"hello": "world"}


# ==================================================================== start and stop
def test_two_stacks_run_side_by_side_and_stop_cleanly_on_ctrl_c(
    fake_stack: LocalStackProcess, tmp_path: Path
) -> None:
    second = launch_local_stack(tmp_path / "second", residents=0, env=fake_stack_env(tmp_path))
    try:
        assert second.api != fake_stack.api
        assert second.outputs["AwsEndpointUrl"] != fake_stack.outputs["AwsEndpointUrl"]
        assert second.client().get("/v1/health").status_code == 200
        assert fake_stack.client().get("/v1/health").status_code == 200
    finally:
        code = second.stop()

    assert code == 0, second.log()
    assert "stopped" in second.log()
    assert fake_stack.client().get("/v1/health").status_code == 200

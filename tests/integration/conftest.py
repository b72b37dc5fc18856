"""Handlers against the emulator in-process: every resource of template.yaml provisioned per test."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)

from infra.local.engine.functions import function_specs, merged_environment
from infra.local.engine.intrinsics import Pseudo, Resolver, resolve_parameters
from infra.local.engine.resources import Env, provision
from infra.local.engine.template import load_template, translate
from infra.tools.city_parameters import city_parameters
from tests.support import godoy_cruz_pack
from tests.support.api_caller import call_api
from tests.support.people import local_mobile, national_id
from vigia import runtime, settings
from vigia.city import Block, CityPack

ROOT = Path(__file__).resolve().parents[2]
# Every pack under infra/cities/; a module or test marked `cities` runs its `stack` for each (or those named).
CITIES: tuple[str, ...] = tuple(sorted(p.parent.name for p in (ROOT / "infra/cities").glob("*/city.json")))
DEFAULT_CITY = "godoy-cruz"  # the template's default CityId: what an unmarked test's stack runs


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cities(*city_ids): the test's `stack` runs once per city pack (every pack if none named)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("cities")
    if marker is None:
        return
    if "city" not in metafunc.fixturenames:  # a mark that ran one city only would pass unnoticed
        raise pytest.UsageError(f"{metafunc.definition.nodeid} is marked cities but uses no `stack`")
    unknown = set(marker.args) - set(CITIES)
    if unknown:
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: no city pack {sorted(unknown)} (packs: {CITIES})"
        )
    metafunc.parametrize("city", marker.args or CITIES, indirect=True)


@pytest.fixture
def city(request: pytest.FixtureRequest) -> str:
    """The pack the test's stack runs: its `cities` parameter, else Godoy Cruz."""
    return str(getattr(request, "param", DEFAULT_CITY))


def _home_block(pack: CityPack) -> Block:
    # the first block with sirens (an alert there sounds them), else the first: Peñalolén's first has none
    blocks = list(pack.blocks.values())
    return next((b for b in blocks if b.sirens), blocks[0])


def _centroid(block: Block) -> tuple[float, float]:
    return (block.centroid[0], block.centroid[1])


# Godoy Cruz's home block's centroid (on B-0001); a test that runs for every pack takes near_centre().
NEAR_CENTRE: tuple[float, float] = _centroid(_home_block(godoy_cruz_pack()))


def home_block_id() -> str:
    """The block the `citizen` fixture lives on in the running stack's pack (Godoy Cruz's B-0001)."""
    return _home_block(runtime.city_pack()).block_id


def near_centre() -> tuple[float, float]:
    """A home inside the running stack's pack's service area: its home block's centroid."""
    return _centroid(_home_block(runtime.city_pack()))


def registration_body(name: str, lat_lon: tuple[float, float] | None = None) -> dict[str, Any]:
    """A registration of a person of the running stack's pack's country (her mobile, her national id)."""
    pack = runtime.city_pack()
    n = sum(ord(c) * (i + 1) for i, c in enumerate(name)) % 10_000
    lat, lon = lat_lon or near_centre()
    return {
        "full_name": f"{name.capitalize()} Pérez",
        "national_id": national_id(pack.country_code, 30_000_000 + n),
        "phone": local_mobile(pack.country_code, n),
        "email": f"{name}@example.ar",
        "password": "Segura-2026x",
        "address": f"Calle {name.capitalize()} 123",
        "home_location": {"lat": lat, "lon": lon},
    }


@functools.cache
def _test_client(service: str) -> Any:
    """What tests look through, one client per service for the worker (as `emulator_client`)."""
    # Stream calls go to account-based endpoints (<account>.streams-ddb…) that moto misses.
    return boto3.client(service, region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled"))


@functools.cache
def _dynamodb_resource() -> Any:
    return boto3.resource("dynamodb", region_name="us-east-1")


class Stack:
    """The provisioned stack, and what tests look at in it (never through the API under test)."""

    def __init__(self, resources: dict[str, str], environment: dict[str, str]) -> None:
        self.resources = resources
        self.environment = environment
        self.pack = runtime.city_pack()

    def client(self, service: str) -> Any:
        return _test_client(service)

    def table(self, logical_id: str) -> Any:
        return _dynamodb_resource().Table(self.resources[logical_id])

    def alert_item(self, alert_id: str) -> dict[str, Any]:
        return self.table("AlertsTable").get_item(Key={"pk": alert_id, "sk": "ALERT"})["Item"]

    def alerts_of(self, sender_id: str) -> list[dict[str, Any]]:
        from boto3.dynamodb.conditions import Key

        return self.table("AlertsTable").query(
            IndexName="by_sender", KeyConditionExpression=Key("sender_id").eq(sender_id)
        )["Items"]

    def resident_item(self, user_id: str) -> dict[str, Any]:
        return self.table("ResidentsTable").get_item(Key={"pk": user_id})["Item"]

    def set_resident_status(self, user_id: str, status: str) -> None:
        self.table("ResidentsTable").update_item(
            Key={"pk": user_id},
            UpdateExpression="SET #s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status},
        )

    def sign_in(self, username: str, password: str) -> dict[str, str]:
        answer = self.client("cognito-idp").initiate_auth(
            ClientId=self.resources["UserPoolClient"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return answer["AuthenticationResult"]

    def groups_of(self, username: str) -> set[str]:
        answer = self.client("cognito-idp").admin_list_groups_for_user(
            UserPoolId=self.resources["UserPool"], Username=username
        )
        return {g["GroupName"] for g in answer["Groups"]}

    def stream_event(self, logical_id: str = "AlertsTable") -> dict[str, Any]:
        """The table's stream records since the start, shaped as Lambda delivers them."""
        table = self.client("dynamodb").describe_table(TableName=self.resources[logical_id])["Table"]
        streams = self.client("dynamodbstreams")
        shards = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"]
        records = []
        for shard in shards:
            iterator = streams.get_shard_iterator(
                StreamArn=table["LatestStreamArn"], ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for record in streams.get_records(ShardIterator=iterator)["Records"]:
                record["eventSourceARN"] = table["LatestStreamArn"]
                record["dynamodb"]["ApproximateCreationDateTime"] = 0
                records.append(record)
        return {"Records": records}

    def queue_messages(self, logical_id: str, max_messages: int = 10) -> list[dict[str, Any]]:
        sqs = self.client("sqs")
        url = sqs.get_queue_url(QueueName=self.resources[logical_id].rsplit("/", 1)[-1])["QueueUrl"]
        got: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
                "Messages", []
            )
            if not batch:
                return got
            got.extend(batch)
            if len(got) >= max_messages:
                return got


@functools.cache
def _translated() -> dict[str, Any]:
    """The template translated once per worker (the same for every test); callers must not mutate it."""
    return translate(load_template())


@functools.cache
def emulator_client(service: str) -> Any:
    """One client per service for every stack of this worker: creating clients is most of a stack's cost, and
    a client holds no state of the emulator's (mock_aws intercepts each request, whichever stack is live)."""
    return boto3.client(service, region_name="us-east-1")


@pytest.fixture
def template_parameters() -> Callable[[], dict[str, str]]:
    """Parameter overrides a test module gives the template: called inside the emulator, before the stack is
    provisioned, so they may name what they make there (tests/integration/test_federation_keys.py)."""
    return dict


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, city: str, template_parameters: Callable[[], dict[str, str]]):
    with mock_aws():
        cfn = _translated()
        pseudo = Pseudo(stack_name="vigia-test")
        # the city's CityId and its pack's CityTimeZone, as `make deploy CITY=…` passes them; SMS stay on SNS
        # (moto has no End User Messaging: test_sms_end_user_messaging.py runs that channel on its stand-in)
        of_city = {k: v for k, v in city_parameters(city).items() if k in ("CityId", "CityTimeZone")}
        parameters = resolve_parameters(cfn.get("Parameters") or {}, {**of_city, **template_parameters()})
        resolver = Resolver(cfn, parameters, pseudo)
        client = emulator_client

        env = Env(pseudo=pseudo, client=client)
        provisioned = provision(cfn, resolver, env)
        environment = merged_environment(function_specs(cfn, resolver).values())
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("CITY_PACK_DIR", str(ROOT / "infra/cities" / city))
        monkeypatch.setenv("SCHEMAS_DIR", str(ROOT / "schemas"))
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
        monkeypatch.delenv("VIGIA_OUTBOX_PATH", raising=False)
        _rebind()
        _staff_accounts(client("cognito-idp"), provisioned.physical_ids()["UserPool"])
        yield Stack(provisioned.physical_ids(), environment)
    _rebind()


# The sign-in identities behind the staff claims tests use (PUT /v1/units/{unit_id}/crew checks them).
STAFF_ACCOUNTS = {
    **{f"staff-{role}": role for role in ("operator", "police", "response_team", "analyst", "admin")},
    **{sub: "police" for sub in ("officer-1", "officer-2", "officer-own", "officer-other")},
    # the SAT's professionals and coordinator (docs/prevention.md "SAT")
    **{sub: "sat_team" for sub in ("staff-sat_team", "sat-pro-1", "sat-pro-2")},
    "staff-sat_coordinator": "sat_coordinator",
}


def _staff_accounts(idp: Any, pool_id: str) -> None:
    """Creates each staff account in its group, with the fixed sub the tests' claims carry."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool = cognitoidp_backends["123456789012"]["us-east-1"].user_pools[pool_id]
    for sub, group in STAFF_ACCOUNTS.items():
        username = f"{sub}@city.example"
        idp.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": username}],
            MessageAction="SUPPRESS",
        )
        user = pool.users[username]
        user.id = sub  # Cognito picks subs; the emulator lets the tests' fixed ones stand in
        user.update_attributes([{"Name": "sub", "Value": sub}])
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)


def _rebind() -> None:
    runtime.reset()


@pytest.fixture
def api(stack: Stack):
    return call_api


@dataclass
class Person:
    user_id: str
    email: str
    claims: dict[str, str]


def staff(role: str) -> dict[str, str]:
    return {"sub": f"staff-{role}", "email": f"{role}@city.example", "cognito:groups": f"[{role}]"}


@pytest.fixture
def staff_claims():
    return staff


def registration_code(phone: str) -> str:
    """The code SMS'd to `phone` (E.164), taken off the SMS queue (other messages stay, visible as before)."""
    sqs = emulator_client("sqs")
    url = settings.get().sms_queue_url
    held: list[dict[str, Any]] = []
    code = None
    while code is None:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)
        if not batch.get("Messages"):
            break
        for message in batch["Messages"]:
            task = json.loads(message["Body"])
            if code is None and task["target"] == "registration_code" and task["recipient"] == phone:
                code = re.findall(r"\b\d{6}\b", task["body"])[0]
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            else:
                held.append(message)
    for message in held:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )
    assert code is not None, f"no registration code was queued for {phone}"
    return code


def register_confirmed(api: Any, body: dict[str, Any]) -> str:
    """Registers through the API as a person would (registration, SMS code, confirmation); the user id.

    Each body gets its own source address, so a test may register more people than one address may."""
    from vigia.residents.registration import normalise_phone

    source = "10.9.{}.{}".format(*divmod(sum(map(ord, body["email"])) % 62_500, 250))
    started = api("POST", "/v1/registrations", body, source_ip=source)
    assert started.status == 202, started.body
    code = registration_code(normalise_phone(body["phone"], runtime.city_pack().country_code))
    confirmed = api("POST", f"/v1/registrations/{started.json['registration_id']}/confirm", {"code": code})
    assert confirmed.status == 200, confirmed.body
    return str(confirmed.json["user_id"])


def _register(api: Any, name: str, approve: bool) -> Person:
    user_id = register_confirmed(api, registration_body(name))
    groups = "[]"
    if approve:
        approved = api("POST", f"/v1/registrations/{user_id}/approve", claims=staff("operator"))
        assert approved.status == 200, approved.body
        groups = "[citizen]"
    email = f"{name}@example.ar"
    return Person(user_id, email, {"sub": user_id, "email": email, "cognito:groups": groups})


@pytest.fixture
def citizen(api: Any) -> Person:
    return _register(api, "vecina", approve=True)


@pytest.fixture
def other_citizen(api: Any) -> Person:
    return _register(api, "vecino", approve=True)


@pytest.fixture
def registered(api: Any) -> Person:
    return _register(api, "pendiente", approve=False)

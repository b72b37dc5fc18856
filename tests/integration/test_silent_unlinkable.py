"""Nothing stored links a sealed alert to its sender: the attacker holds every table and guesses keys."""

from __future__ import annotations

import base64
import hashlib
import itertools
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.silent_support import VICTIM, Pumps, register_victim, silent_body

# What an attacker would try as the app's Idempotency-Key: counters and bare numbers (and every key used).
WIDE_KEYS = [f"k-{n}" for n in range(100_001)]  # with every user id, two joins, sha256 and md5
DEEP_KEYS = [f"k-{n}" for n in range(301)] + [str(n) for n in range(301)]  # with every identity, every way
HASHES = ("sha256", "sha1", "md5", "sha512")
SEPARATORS = ("#", ":", "|", "", "\x1f")


def _texts(value: Any) -> Iterator[str]:
    """Every string (and number, as text) inside an item, and its '#'/':'-separated parts."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from _texts(v)
    elif isinstance(value, list | set | tuple):
        for v in value:
            yield from _texts(v)
    elif isinstance(value, bytes | bytearray):
        yield value.hex()
        yield base64.b64encode(value).decode()
    elif value is not None:
        text = str(value) if not isinstance(value, Decimal) else format(value, "f")
        yield text
        yield from text.replace(":", "#").replace("|", "#").replace("/", "#").split("#")


def _dump_every_table(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    dynamodb = stack.client("dynamodb")
    from boto3.dynamodb.types import TypeDeserializer

    plain = TypeDeserializer()
    tables: dict[str, list[dict[str, Any]]] = {}
    for name in dynamodb.list_tables()["TableNames"]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": name}
        while True:
            page = dynamodb.scan(**kwargs)
            items += [{k: plain.deserialize(v) for k, v in raw.items()} for raw in page["Items"]]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        tables[name] = items
    return tables


def _digests(secret: str) -> Iterator[str]:
    data = secret.encode()
    for name in HASHES:
        raw = hashlib.new(name, data).digest()
        yield raw.hex()
        yield base64.b64encode(raw).decode()
        yield base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_no_stored_value_links_a_sealed_alert_to_its_sender(
    stack: Stack, api: Any, staff_claims: Any, citizen: Any
) -> None:
    # Given a victim among other residents (one of whom sends a public alert), and the app's keys
    victim = register_victim(api, staff_claims)
    tap, other_tap = "k-1742", str(uuid.uuid4())
    public = {"type": "robbery", "location": silent_body(victim)["location"]}
    assert (
        api("POST", "/v1/alerts", public, claims=citizen.claims, headers={"idempotency-key": "k-1"}).status
        == 202
    )
    # When she sends a silent alert, her phone retries it twice, and she sends another with a uuid key
    first = api(
        "POST", "/v1/alerts", silent_body(victim), claims=victim.claims, headers={"idempotency-key": tap}
    )
    assert first.status == 202, first.body
    for _ in range(2):
        again = api(
            "POST", "/v1/alerts", silent_body(victim), claims=victim.claims, headers={"idempotency-key": tap}
        )
        assert again.json["alert_id"] == first.json["alert_id"]
    second = api(
        "POST", "/v1/alerts", silent_body(victim, note=None), claims=victim.claims,
        headers={"idempotency-key": other_tap},
    )  # fmt: skip
    assert second.status == 202, second.body
    # the relay, the routers and the senders write what they write too (no CAD listens for webhooks here)
    Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
    alert_ids = {first.json["alert_id"], second.json["alert_id"]}

    # Then an attacker holding every item of every table finds no value derived from a resident's identity
    tables = _dump_every_table(stack)
    identity = [victim.user_id, VICTIM["phone"], VICTIM["phone"].lstrip("+"), VICTIM["email"]]
    identity += [VICTIM["national_id"], VICTIM["full_name"]]
    residents = [
        i for i in tables[stack.resources["ResidentsTable"]] if i.get("kind", "resident") == "resident"
    ]
    assert {victim.user_id, citizen.user_id} <= {r["pk"] for r in residents}
    everyone = [
        str(r[f]).lstrip("+") if f == "phone" and n else str(r[f])
        for r in residents
        for n, f in enumerate(("pk", "phone", "phone", "email", "national_id", "full_name"))
        if r.get(f)
    ]
    stored = {
        text
        for items in tables.values()
        for item in items
        for text in _texts(item)
        if len(text) >= 16  # every digest tried is longer: short values cannot be one
    }
    found = []
    for who, key in itertools.product([r["pk"] for r in residents], [*WIDE_KEYS, tap, other_tap]):
        for secret in (f"{who}#{key}", f"{who}:{key}", f"{key}#{who}"):
            data = secret.encode()
            for digest in (hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest()):  # noqa: S324
                if digest in stored:
                    found.append((secret, digest))
    for who, key in itertools.product(everyone, [*DEEP_KEYS, tap, other_tap]):
        for sep in SEPARATORS:
            for secret in (f"{who}{sep}{key}", f"{key}{sep}{who}", f"alert{sep}{who}{sep}{key}"):
                found += [(secret, d) for d in _digests(secret) if d in stored]
    for who in identity:  # her identity hashed alone, or with a silent-alert word
        for secret in (who, *(f"{word}#{who}" for word in ("silent", "window", "sender", "alert"))):
            found += [
                (secret, d) for d in _digests(secret) if d in stored and _near_silent(tables, d, alert_ids)
            ]
    assert not found, f"stored values derived from the sender: {found[:5]}"

    # And no item that names a sealed alert, nor any claim or limit window, holds her identity in clear
    for table, items in tables.items():
        for item in items:
            texts = set(_texts(item))
            if not (texts & alert_ids or _is_claim_or_window(item)):
                continue
            leaked = [v for v in identity if any(v in t for t in texts)]
            assert not leaked, f"{table}: {item.get('pk')} names the sender ({leaked})"


def _is_claim_or_window(item: dict[str, Any]) -> bool:
    pk = str(item.get("pk", ""))
    return pk.startswith(("alert#", "window#"))


def _near_silent(tables: dict[str, list[dict[str, Any]]], digest: str, alert_ids: set[str]) -> bool:
    """A bare hash of her identity counts in an item about a sealed alert, a claim or a window."""
    for items in tables.values():
        for item in items:
            texts = set(_texts(item))
            if digest in texts and (texts & alert_ids or _is_claim_or_window(item)):
                return True
    return False

"""Protocol dispatch on the local stack, over HTTP: a robbery reaches exactly its block's approved
neighbours, the block's sirens and the provincial CAD (valid CAP 1.2), and its sender can cancel it."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
import xmlschema

from tests.support import godoy_cruz_pack
from vigia import clock

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PACK = godoy_cruz_pack()
CAP_XSD = xmlschema.XMLSchema(str(ROOT / "schemas/cap/CAP-v1.2.xsd"))


def _resident_item(user_id: str, phone: str, block_id: str, status: str) -> dict[str, Any]:
    return {
        "pk": {"S": user_id},
        "kind": {"S": "resident"},
        "full_name": {"S": "Vecino de prueba"},
        "phone": {"S": phone},
        "locale": {"S": "es-AR"},
        "status": {"S": status},
        "block_id": {"S": block_id},
        "created_at": {"S": clock.iso(clock.now())},
        "address": {"S": "Calle 1"},
    }


def seed(stack, block_id: str, count: int, status: str) -> list[str]:
    """Residents written straight into the emulator's Residents table; returns their phones."""
    dynamodb, table = stack.aws("dynamodb"), stack.outputs["Resources"]["ResidentsTable"]
    phones = []
    for _ in range(count):
        n = uuid.uuid4().int
        phone = f"+549261{n % 10_000_000:07d}"
        dynamodb.put_item(TableName=table, Item=_resident_item(f"e2e-{n % 10**12}", phone, block_id, status))
        phones.append(phone)
    return phones


def approved_neighbours(stack, block_id: str, sender_id: str) -> set[str]:
    """What the by_block index holds for the block: the phones the protocol must reach."""
    answer = stack.aws("dynamodb").query(
        TableName=stack.outputs["Resources"]["ResidentsTable"],
        IndexName="by_block",
        KeyConditionExpression="block_id = :b",
        ExpressionAttributeValues={":b": {"S": block_id}},
    )
    return {
        i["phone"]["S"]
        for i in answer["Items"]
        if i["status"]["S"] == "approved" and i["pk"]["S"] != sender_id
    }


def register_resident(stack, block_id: str) -> tuple[requests.Session, str, str]:
    """A resident of `block_id`, registered and approved through the API, signed in."""
    api = stack.api
    lat, lon = PACK.blocks[block_id].centroid
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    email = f"e2e-{suffix}@example.ar"
    body = {
        "full_name": "Marta Gómez",
        "national_id": f"3{suffix}1",
        "phone": f"+5492613{suffix}",
        "email": email,
        "password": "Segura-2026x",
        "address": "Belgrano 77",
        "home_location": {"lat": lat, "lon": lon},
    }
    user_id = stack.register(body)
    approved = stack.client("operator").post(f"{api}/v1/registrations/{user_id}/approve", timeout=10)
    assert approved.status_code == 200, approved.text
    assert approved.json()["block_id"] == block_id
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {stack.sign_in(email, 'Segura-2026x')}"
    return session, user_id, body["phone"]


def cad_received(stack) -> list[dict[str, Any]]:
    url = stack.outputs["FakeCadUrl"].split("/cap/")[0] + "/received"
    return requests.get(url, timeout=10).json()["items"]


def test_a_robbery_reaches_its_blocks_approved_neighbours_sirens_and_the_provincial_cad(local_stack):
    stack, api = local_stack, local_stack.api
    block_id = next(b.block_id for b in PACK.blocks.values() if len(b.sirens) >= 1 and b.block_id != "B-0001")
    citizen, user_id, sender_phone = register_resident(stack, block_id)
    # Given approved neighbours on her block, and people who must not hear of it
    seed(stack, block_id, 6, "approved")
    kept_out = seed(stack, block_id, 2, "pending") + seed(stack, block_id, 2, "suspended")
    other_block = next(b for b in PACK.blocks if b != block_id)
    kept_out += seed(stack, other_block, 3, "approved")
    neighbours = approved_neighbours(stack, block_id, user_id)
    assert len(neighbours) >= 6
    # When she reports a robbery from her block
    lat, lon = PACK.blocks[block_id].centroid
    answer = citizen.post(
        f"{api}/v1/alerts", json={"type": "robbery", "location": {"lat": lat, "lon": lon}}, timeout=10
    )
    assert answer.status_code == 202, answer.text
    alert_id = answer.json()["alert_id"]
    operator = stack.client("operator")

    def all_sent() -> list[dict[str, Any]] | None:
        view = operator.get(f"{api}/v1/alerts/{alert_id}/deliveries", timeout=10).json()
        items = view.get("items") or []
        return items if items and all(i["status"] == "sent" for i in items) else None

    deliveries = stack.wait_for(all_sent, timeout=60)
    # Then exactly k neighbour SMS, none to the sender, none to other blocks or unapproved residents
    mine = [m for m in stack.outbox() if m["alert_id"] == alert_id]
    sms = Counter(m["recipient"] for m in mine if m["channel"] == "sms")
    neighbour_sms = {p: n for p, n in sms.items() if p in neighbours}
    assert set(neighbour_sms) == neighbours
    assert set(neighbour_sms.values()) == {1}
    assert not set(sms) & set(kept_out)
    assert sms[sender_phone] == 1  # her confirmation, not the neighbours' message
    assert set(sms) == neighbours | set(PACK.dispatch.community_police) | {sender_phone}
    # the block's sirens were commanded on their IoT topics
    sirens = {m["recipient"]: m for m in mine if m["channel"] == "siren"}
    assert set(sirens) == {s.siren_id for s in PACK.blocks[block_id].sirens}
    assert all(m["topic"] == f"vigia/godoy-cruz/sirens/{unit}/cmd" for unit, m in sirens.items())
    # the fake provincial CAD received a signed CAP 1.2 alert that validates against the schema
    caps = [c for c in cad_received(stack) if alert_id in c["body"]]
    assert len(caps) == 1
    assert caps[0]["signature_ok"]
    CAP_XSD.validate(caps[0]["body"])
    # and every delivery record says sent, recipients masked for the operator
    assert {d["channel"] for d in deliveries} == {"sms", "siren", "webhook"}
    assert not any(p in " ".join(d["recipient"] for d in deliveries) for p in neighbours)
    assert operator.get(f"{api}/v1/alerts/{alert_id}", timeout=10).json()["status"] == "dispatched"


def test_the_sender_cancels_and_the_block_the_police_and_the_cad_hear_so(local_stack):
    stack, api = local_stack, local_stack.api
    block_id = next(b.block_id for b in reversed(PACK.blocks.values()) if b.sirens)
    citizen, _, _ = register_resident(stack, block_id)
    neighbours = set(seed(stack, block_id, 3, "approved"))
    lat, lon = PACK.blocks[block_id].centroid
    alert_id = citizen.post(
        f"{api}/v1/alerts", json={"type": "robbery", "location": {"lat": lat, "lon": lon}}, timeout=10
    ).json()["alert_id"]
    operator = stack.client("operator")

    def all_sent() -> bool:
        items = operator.get(f"{api}/v1/alerts/{alert_id}/deliveries", timeout=10).json().get("items") or []
        return bool(items) and all(i["status"] == "sent" for i in items)

    stack.wait_for(all_sent, timeout=60)  # everyone was told; what is still queued at a cancel is withdrawn
    cancelled = citizen.post(f"{api}/v1/alerts/{alert_id}/cancel", timeout=10)
    assert cancelled.status_code == 202, cancelled.text

    def cancellations() -> list[dict[str, Any]]:
        found = [m for m in stack.outbox() if m["alert_id"] == alert_id and m.get("kind") == "cancel"]
        return (
            found
            if neighbours <= {m["recipient"] for m in found} and any(m["channel"] == "webhook" for m in found)
            else []
        )

    found = stack.wait_for(cancellations, timeout=60)
    assert any(m["channel"] == "siren" and '"stop"' in m["body"] for m in found)
    cancel_cap = next(
        c for c in cad_received(stack) if "<msgType>Cancel</msgType>" in c["body"] and alert_id in c["body"]
    )
    CAP_XSD.validate(cancel_cap["body"])
    # a second cancel is harmless; someone else's is a 404
    assert citizen.post(f"{api}/v1/alerts/{alert_id}/cancel", timeout=10).status_code == 202
    other = stack.client("citizen").post(f"{api}/v1/alerts/{alert_id}/cancel", timeout=10)
    assert other.status_code == 404

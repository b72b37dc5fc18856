"""A silent alarm on the local stack, over HTTP: a resident sends `domestic_violence` from her block, where
other approved neighbours live. Only the response team is texted; no siren, no neighbour; the operator sees
no identity; the response team does, and that read appears in the audit trail."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.support import godoy_cruz_pack
from vigia import clock

pytestmark = pytest.mark.e2e
TEAM = set(godoy_cruz_pack().dispatch.response_team)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def seed_neighbours(stack: Any, block_id: str, count: int) -> set[str]:
    """Approved residents written straight into the emulator's Residents table; returns their phones."""
    dynamodb, table = stack.aws("dynamodb"), stack.outputs["Resources"]["ResidentsTable"]
    phones = set()
    for _ in range(count):
        n = uuid.uuid4().int
        phone = f"+549261{n % 10_000_000:07d}"
        item = {
            "pk": {"S": f"e2e-silent-{n % 10**12}"},
            "kind": {"S": "resident"},
            "full_name": {"S": "Vecino de la cuadra"},
            "phone": {"S": phone},
            "locale": {"S": "es-AR"},
            "status": {"S": "approved"},
            "block_id": {"S": block_id},
            "created_at": {"S": clock.iso(clock.now())},
            "address": {"S": "Calle 1"},
        }
        dynamodb.put_item(TableName=table, Item=item)
        phones.add(phone)
    return phones


def block_phones(stack: Any, block_id: str) -> set[str]:
    """Every approved resident of the block as the by_block index holds them: whom a public alert texts."""
    answer = stack.aws("dynamodb").query(
        TableName=stack.outputs["Resources"]["ResidentsTable"],
        IndexName="by_block",
        KeyConditionExpression="block_id = :b",
        ExpressionAttributeValues={":b": {"S": block_id}},
    )
    return {i["phone"]["S"] for i in answer["Items"] if i.get("status", {}).get("S") == "approved"}


def test_a_silent_alarm_reaches_the_response_team_only_and_her_identity_only_them(local_stack):
    api = local_stack.api
    operator = local_stack.client("operator")
    response_team = local_stack.client("response_team")
    admin = local_stack.client("admin")
    home = local_stack.client("citizen").get(f"{api}/v1/me").json()["home_location"]

    # Given a resident registered and approved on a block where other approved neighbours live
    suffix = f"{uuid.uuid4().int % 1_000_000:06d}"
    victim = {
        "full_name": "Marisol Ocampo Figueroa",
        "national_id": f"2{suffix}1",
        "phone": f"+5492613{suffix}",
        "email": f"marisol-{suffix}@example.ar",
        "password": "Segura-2026x",
        "address": "Pasaje Los Olivos 2231",
        "home_location": home,
    }
    user_id = local_stack.register(victim)
    approved = operator.post(f"{api}/v1/registrations/{user_id}/approve", timeout=10)
    assert approved.status_code == 200, approved.text
    block_id = approved.json()["block_id"]
    seed_neighbours(local_stack, block_id, 3)
    neighbour_phones = block_phones(local_stack, block_id) - {victim["phone"]}
    assert len(neighbour_phones) >= 3
    she = requests.Session()
    she.headers.update(bearer(local_stack.sign_in(victim["email"], "Segura-2026x")))
    lat, lon = home["lat"] + 0.00003, home["lon"] - 0.00002
    secrets = [
        victim["full_name"],
        victim["national_id"],
        victim["phone"],
        victim["email"],
        victim["address"],
    ]
    coordinates = [f"{lat:.4f}", f"{lon:.4f}"]
    before = len(local_stack.outbox())

    # When she sends a domestic-violence alert from there
    sent = she.post(
        f"{api}/v1/alerts",
        json={"type": "domestic_violence", "location": {"lat": lat, "lon": lon}, "note": "me amenaza"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    # Then the app gets a neutral 202
    assert sent.status_code == 202, sent.text
    assert set(sent.json()) == {"alert_id", "status", "created_at"}
    alert_id = sent.json()["alert_id"]

    # And the response team's numbers, and only they, get an SMS
    def told() -> list[dict[str, Any]]:
        return [x for x in local_stack.outbox()[before:] if x.get("alert_id") == alert_id]

    local_stack.wait_for(lambda: len(told()) >= len(TEAM), timeout=30)
    local_stack.wait_for(
        lambda: operator.get(f"{api}/v1/alerts/{alert_id}", timeout=10).json()["status"] == "dispatched",
        timeout=30,
    )
    lines = told()
    recipients = {x["recipient"] for x in lines}
    assert {x["channel"] for x in lines} == {"sms"}, "no siren, no webhook, no push"
    assert not recipients & neighbour_phones, "no neighbour is told"
    assert victim["phone"] not in recipients, "she gets no SMS: an abuser may hold her phone"
    assert recipients == TEAM
    assert len(lines) == len(recipients)
    for line in lines:
        assert all(s not in line["body"] for s in secrets + coordinates), line["body"]
        assert "violencia" not in line["body"].lower()
    for line in local_stack.outbox()[before:]:  # nothing that left the system, for any alert, names her
        assert all(s not in str(line) for s in secrets), line

    # And the operator's view has no identity
    seen = operator.get(f"{api}/v1/alerts/{alert_id}", timeout=10)
    assert seen.status_code == 200
    assert seen.json()["category"] == "silent"
    assert all(s not in seen.text for s in secrets + coordinates + [user_id])
    # And her own app cannot read it back, nor can another resident
    assert she.get(f"{api}/v1/alerts/{alert_id}", timeout=10).status_code == 404
    assert local_stack.client("citizen").get(f"{api}/v1/alerts/{alert_id}", timeout=10).status_code == 404

    # And the response team's view (SilentApiFunction, routed by the local HTTP API from the template's more
    # specific route) has her identity, exact place and the referral directory
    linked = response_team.get(f"{api}/v1/alerts/{alert_id}", timeout=10).json()
    assert linked["unsealed_view"] == f"/v1/silent-alerts/{alert_id}"
    read = response_team.get(
        f"{api}{linked['unsealed_view']}", headers={"X-Reason": "llamada de contacto"}, timeout=10
    )
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["sender"]["full_name"] == victim["full_name"]
    assert body["sender"]["phone"] == victim["phone"]
    assert body["sender"]["national_id"] == victim["national_id"]
    assert body["location"]["lat"] == pytest.approx(lat)
    assert body["referral_directory"]

    # And the admin finds that read in the audit trail, with its reason
    trail = admin.get(f"{api}/v1/audit", params={"alert_id": alert_id}, timeout=10)
    assert trail.status_code == 200, trail.text
    reads = [e for e in trail.json()["items"] if e["actor_role"] == "response_team"]
    assert len(reads) == 1
    assert reads[0]["actor_id"] == local_stack.demo_user("response_team")["user_id"]
    assert reads[0]["reason"] == "llamada de contacto"
    assert reads[0]["target_id"] == alert_id

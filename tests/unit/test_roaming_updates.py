"""The host's CAP Updates of a visitor alert, as planned, and how far each moves the home's roaming status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support import godoy_cruz_pack
from vigia.api.validation import validate
from vigia.dispatch import roaming, tasks
from vigia.dispatch.protocol import FEDERATION
from vigia.federation.messages import UPDATE_STATUSES, read_message

PACK = godoy_cruz_pack()
REFERENCE = "penalolen,penalolen-R1-report,2026-03-14T22:05:09-00:00"
VISITOR = {"partner": "penalolen", "remote_id": "R1", "report": REFERENCE}
AT = datetime(2026, 3, 14, 22, 9, 9, 123000, tzinfo=UTC)


@pytest.mark.parametrize("status", UPDATE_STATUSES)
def test_each_status_is_one_update_to_the_partner_naming_its_report(status: str) -> None:
    delivery = roaming.plan_update("A1", VISITOR, status, PACK, at=AT)

    assert delivery is not None
    assert (delivery.channel, delivery.recipient, delivery.kind) == (
        FEDERATION,
        "penalolen",
        f"update_{status}",
    )
    validate("events/delivery-task.json", tasks.to_message(delivery, city_id=PACK.city_id))
    update = read_message(delivery.body.encode("utf-8"))
    assert (update.kind, update.sender_id, update.recipient_id) == ("Update", PACK.city_id, "penalolen")
    assert update.in_reply_to == "penalolen-R1-report"
    assert update.incident_status == status
    # the same step again is the same message (the home answers it 409: never counted twice)
    assert update.distribution_id == f"{PACK.city_id}-R1-{status}"


def test_statuses_the_federation_does_not_carry_or_an_alert_without_its_report_plan_nothing() -> None:
    for status in ("received", "dispatched", "cancelled", "escalated"):
        assert roaming.plan_update("A1", VISITOR, status, PACK, at=AT) is None
    assert roaming.plan_update("A1", {**VISITOR, "report": ""}, "resolved", PACK, at=AT) is None


def test_an_update_moves_her_status_only_forward() -> None:
    assert set(roaming.moves_to("acknowledged")) == {"forwarding", "fallback", "delivered"}
    assert "acknowledged" in roaming.moves_to("on_scene")
    assert "on_scene" not in roaming.moves_to("assigned")
    for end in ("resolved", "false_alarm"):
        allowed = roaming.moves_to(end)
        assert not {"resolved", "false_alarm", "cancelled"} & set(allowed)
        assert "on_scene" in allowed

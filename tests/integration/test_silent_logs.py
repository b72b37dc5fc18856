"""The silent path end to end with every log line captured: none carries the victim's name, phone, national
id, e-mail, address, note or coordinates — not on success, not on a retry, not on a failure."""

from __future__ import annotations

import logging

import pytest

from tests.integration.silent_support import Pumps, register_victim, silent_body
from vigia import runtime

THIRD_PARTY_LEVEL = logging.INFO  # botocore at DEBUG prints request and response bodies: never in production


@pytest.fixture
def outbox_path(stack, tmp_path, monkeypatch):
    path = tmp_path / "outbox.jsonl"
    monkeypatch.setenv("VIGIA_OUTBOX_PATH", str(path))
    runtime.reset()
    return path


def test_no_log_line_of_the_silent_path_names_or_places_her(
    api, stack, staff_claims, outbox_path, capfd, caplog
):
    from vigia.observability import logger as vigia_logger  # after the stack set the Powertools variables

    # Given a registered resident (registration is not the silent path: its lines are not inspected)
    victim = register_victim(api, staff_claims)
    capfd.readouterr()
    caplog.clear()
    caplog.set_level(THIRD_PARTY_LEVEL)
    caplog.set_level(logging.DEBUG, logger=vigia_logger.name)
    vigia_logger.setLevel(logging.DEBUG)
    try:
        # When she sends a silent alert, the app retries it, it is routed, texted, read and audited
        key = {"Idempotency-Key": "tap-7c1d"}
        first = api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims, headers=key)
        assert first.status == 202
        assert api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims, headers=key).status == 202
        alert_id = first.json["alert_id"]
        Pumps(stack).run()
        assert api("GET", f"/v1/alerts/{alert_id}", claims=staff_claims("operator")).status == 200
        rt = staff_claims("response_team")
        assert api("GET", f"/v1/alerts/{alert_id}", claims=rt).status == 200  # sealed, with the link
        opened = api("GET", f"/v1/silent-alerts/{alert_id}", claims=rt, headers={"X-Reason": "contacto"})
        assert opened.status == 200
        # the team's lifecycle, with the one deliberate unsealing (her contact shared, a car picked)
        for action, extra, headers in (
            ("acknowledge", {}, {}),
            ("request_police", {"share_contact": True, "unit_id": "GC-01"}, {"X-Reason": "riesgo"}),
            ("close", {"outcome": "referred"}, {}),
        ):
            body = {"action": action, **extra}
            step = api("POST", f"/v1/alerts/{alert_id}/actions", body, claims=rt, headers=headers)
            assert step.status == 200, step.body
        Pumps(stack, skip=frozenset({"WebhookQueue"})).run()
        assert (
            api("GET", "/v1/audit", query={"alert_id": alert_id}, claims=staff_claims("admin")).status == 200
        )
        assert api("GET", f"/v1/alerts/{alert_id}", claims=victim.claims).status == 404
        assert api("POST", f"/v1/alerts/{alert_id}/cancel", claims=victim.claims).status == 404
        # And on the failure paths: KMS down at intake, an envelope that does not open
        from vigia.adapters.aws import client

        kms = client("kms")

        def down(**_):
            raise ConnectionError("KMS unreachable")

        kms.meta.events.register("before-call.kms.GenerateDataKey", down, unique_id="down")
        try:
            assert api("POST", "/v1/alerts", silent_body(victim), claims=victim.claims).status == 503
        finally:
            kms.meta.events.unregister("before-call.kms.GenerateDataKey", unique_id="down")
        stack.table("AlertsTable").update_item(
            Key={"pk": alert_id, "sk": "ALERT"},
            UpdateExpression="SET sealed = :s",
            ExpressionAttributeValues={":s": '{"v":1,"ek":"AAAA","n":"AAAA","ct":"AAAA"}'},
        )
        assert api("GET", f"/v1/silent-alerts/{alert_id}", claims=rt).status == 500
    finally:
        vigia_logger.setLevel(logging.INFO)
    # Then no captured line — Powertools' JSON on stdout, any logger's records, stderr — names or places her
    out, err = capfd.readouterr()
    records = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in caplog.records)
    lines = "\n".join([out, err, records])
    assert "alert received" in lines  # the capture did see the path's log lines
    assert "silent alert routed to the response team" in lines
    found = sorted({secret for secret in victim.secrets() if secret in lines})
    assert found == [], f"her details in the logs: {found}"
    assert victim.user_id not in lines, "the log links her account to the alert"
    assert "está en la cocina" not in lines
    assert "domestic_violence" not in lines

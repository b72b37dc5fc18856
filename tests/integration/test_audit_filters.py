"""GET /v1/audit for admins: an alert's whole trail as before, or the trail filtered by actor, action, target
and time, newest first, in pages; every filter is a Query on the table or one of its indexes, never a scan."""

from typing import Any

import pytest

from tests.integration.conftest import staff
from vigia.adapters.dynamodb import audit

ADMIN = staff("admin")


@pytest.fixture
def entries(stack, monkeypatch) -> list[audit.AuditEntry]:
    """Eight entries over three days by three people; and no scan of the trail is possible."""
    written = [
        audit.record(
            "rt-1", "response_team", "unseal", "alert", "A1", "llamada", at="2026-03-01T10:00:00.000Z"
        ),
        audit.record("op-1", "operator", "acknowledge", "alert", "A1", at="2026-03-01T10:01:00.000Z"),
        audit.record(
            "op-1", "operator", "resident_suspended", "resident", "R1", at="2026-03-01T23:59:59.999Z"
        ),
        audit.record("rt-1", "response_team", "unseal", "alert", "A2", at="2026-03-02T00:00:00.000Z"),
        audit.record("ad-1", "admin", "staff_created", "staff", "S1", at="2026-03-02T09:00:00.000Z"),
        audit.record("ad-1", "admin", "staff_disabled", "staff", "S1", at="2026-03-03T09:00:00.000Z"),
        audit.record("op-1", "operator", "resolve", "alert", "A1", at="2026-03-03T10:00:00.000Z"),
        audit.record("rt-1", "response_team", "unseal", "alert", "A1", at="2026-03-03T11:00:00.000Z"),
    ]

    def no_scan(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the audit trail was scanned")

    monkeypatch.setattr(audit.AuditRecord, "scan", classmethod(no_scan))
    return written


def get(api: Any, claims: dict[str, str] = ADMIN, **query: str) -> Any:
    return api("GET", "/v1/audit", claims=claims, query=query or None)


def ats(answer: Any) -> list[str]:
    """The answer's times to the minute, newest first; the answer is what the OpenAPI document promises."""
    from jsonschema import Draft202012Validator

    from vigia.api.validation import load_schema

    assert answer.status == 200, answer.body
    Draft202012Validator(load_schema("responses/audit-trail.json")).validate(answer.json)
    return [item["at"][:16] for item in answer.json["items"]]


def test_an_alerts_whole_trail_is_read_oldest_first_as_before(api, entries):
    answer = get(api, alert_id="A1")
    assert answer.json["alert_id"] == "A1"
    assert ats(answer) == ["2026-03-01T10:00", "2026-03-01T10:01", "2026-03-03T10:00", "2026-03-03T11:00"]
    assert answer.json["items"][0]["reason"] == "llamada"


def test_by_actor_newest_first(api, entries):
    assert ats(get(api, actor_id="op-1")) == ["2026-03-03T10:00", "2026-03-01T23:59", "2026-03-01T10:01"]


def test_by_action_and_by_target(api, entries):
    assert ats(get(api, action="unseal")) == ["2026-03-03T11:00", "2026-03-02T00:00", "2026-03-01T10:00"]
    assert [i["action"] for i in get(api, target_id="S1").json["items"]] == [
        "staff_disabled",
        "staff_created",
    ]


def test_filters_combine(api, entries):
    assert ats(get(api, actor_id="rt-1", target_id="A1")) == ["2026-03-03T11:00", "2026-03-01T10:00"]
    assert ats(get(api, actor_id="op-1", action="resolve")) == ["2026-03-03T10:00"]
    assert ats(get(api, action="unseal", **{"from": "2026-03-02T00:00:00Z", "to": "2026-03-03"})) == [
        "2026-03-03T11:00",
        "2026-03-02T00:00",
    ]


def test_a_time_range_alone_walks_its_days(api, entries):
    # a date alone as `to` is its whole day; the ends are included
    assert ats(get(api, **{"from": "2026-03-01T23:59:59.999Z", "to": "2026-03-02"})) == [
        "2026-03-02T09:00",
        "2026-03-02T00:00",
        "2026-03-01T23:59",
    ]
    # an offset is honoured: 21:00 in Argentina is midnight UTC
    assert ats(get(api, **{"from": "2026-03-01T21:00:00-03:00", "to": "2026-03-02T06:00:00-03:00"})) == [
        "2026-03-02T09:00",
        "2026-03-02T00:00",
    ]


def test_pages_follow_the_cursor_without_repeating_or_skipping(api, entries):
    seen: list[str] = []
    query: dict[str, str] = {"from": "2026-03-01", "to": "2026-03-03", "limit": "3"}
    while True:
        answer = get(api, **query)
        assert answer.status == 200, answer.body
        seen += [item["audit_id"] for item in answer.json["items"]]
        if not answer.json["next_cursor"]:
            break
        assert len(answer.json["items"]) == 3
        query["cursor"] = answer.json["next_cursor"]
    assert seen == [e.audit_id for e in reversed(entries)]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"alert_id": "A1", "actor_id": "op-1"}, "/actor_id"),
        ({"from": "2026-03-03", "to": "2026-03-01"}, "/from"),
        ({"from": "2026-01-01", "to": "2026-06-30"}, "/from"),
        ({"cursor": "bm9wZQ"}, "/cursor"),
    ],
)
def test_what_the_document_cannot_say_is_a_422_naming_the_parameter(api, entries, query, path):
    answer = get(api, **query)
    assert answer.status == 422, answer.body
    assert answer.json["errors"][0]["path"] == path


def test_a_long_range_is_fine_when_an_actor_action_or_target_narrows_it(api, entries):
    assert ats(get(api, actor_id="ad-1", **{"from": "2025-01-01", "to": "2026-12-31"})) == [
        "2026-03-03T09:00",
        "2026-03-02T09:00",
    ]


@pytest.mark.parametrize("role", ["operator", "police", "response_team", "analyst"])
def test_only_admins_read_the_trail(api, entries, role):
    assert get(api, claims=staff(role), actor_id="op-1").status == 403
    assert get(api, claims=staff(role), alert_id="A1").status == 403

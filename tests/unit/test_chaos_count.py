"""`make chaos`'s verdict (infra.tools.chaos.judge): what it calls lost, a duplicate the provider gap
explains, any other duplicate, stuck, and a silent leak.
Each rule is shown catching what it exists to catch."""

from __future__ import annotations

from typing import Any

from infra.tools.chaos import Sent, judge

TEAM = {"+5492615550301"}
POLICE, NEIGHBOUR = "+5492615550101", "+5492617000001"


def public(alert_id: str = "A1", cancelled: bool = False) -> Sent:
    return Sent(alert_id, "robbery", False, "faults", 0.0, cancelled)


def silent(alert_id: str = "S1") -> Sent:
    return Sent(alert_id, "domestic_violence", True, "faults", 0.0)


def record(
    alert_id: str, recipient: str, status: str = "sent", uncertain: int = 0, channel: str = "sms"
) -> Any:
    return {
        "pk": alert_id,
        "sk": f"alert#{channel}#{recipient}",
        "kind": "alert",
        "channel": channel,
        "recipient": recipient,
        "status": status,
        "uncertain": uncertain,
    }


def expect(*pairs: tuple[str, str]) -> Any:
    return lambda s, records: set(pairs)


def test_everything_the_protocol_calls_for_left_once_is_a_clean_verdict() -> None:
    ledger = [record("A1", POLICE), record("A1", NEIGHBOUR)]
    left = [("A1", "alert", "sms", POLICE, 1.0), ("A1", "alert", "sms", NEIGHBOUR, 1.0)]
    verdict = judge([public()], ledger, left, expect(("sms", POLICE), ("sms", NEIGHBOUR)), TEAM)
    assert (verdict.lost, verdict.stuck, verdict.silent_leaks, verdict.duplicates) == ([], [], [], 0)


def test_a_neighbour_never_told_is_lost_even_when_the_ledger_never_planned_her() -> None:
    # the expected set comes from the pack and the residents, not from the ledger: a dispatch that skipped
    # her is caught
    verdict = judge(
        [public()], [record("A1", POLICE)], [("A1", "alert", "sms", POLICE, 1.0)],
        expect(("sms", POLICE), ("sms", NEIGHBOUR)), TEAM,
    )  # fmt: skip
    assert verdict.lost == [f"A1 (robbery) sms → {NEIGHBOUR}: no delivery record"]


def test_a_delivery_marked_sent_that_never_left_is_lost() -> None:
    verdict = judge([public()], [record("A1", POLICE)], [], expect(), TEAM)
    assert verdict.lost == [f"A1 (robbery) alert#sms#{POLICE}: marked sent, never left"]


def test_a_cancelled_alert_withdrawn_in_time_is_not_lost_but_an_uncancelled_one_is() -> None:
    ledger = [record("A1", POLICE, status="cancelled")]
    assert judge([public(cancelled=True)], ledger, [], expect(("sms", POLICE)), TEAM).lost == []
    assert judge([public(cancelled=True)], [], [], expect(("sms", POLICE)), TEAM).lost == []
    assert len(judge([public()], ledger, [], expect(("sms", POLICE)), TEAM).lost) == 1


def test_a_duplicate_counts_as_the_provider_gap_only_as_far_as_the_record_was_uncertain() -> None:
    left = [("A1", "alert", "sms", POLICE, 1.0)] * 3
    explained = judge([public()], [record("A1", POLICE, uncertain=2)], left, expect(), TEAM)
    assert (explained.duplicates, explained.provider_gap, explained.other_duplicates) == (2, 2, [])
    partly = judge([public()], [record("A1", POLICE, uncertain=1)], left, expect(), TEAM)
    assert (partly.duplicates, partly.provider_gap) == (2, 1)
    assert partly.other_duplicates == [f"A1 alert#sms#{POLICE}: left 3 times, 1 explained"]
    unexplained = judge([public()], [record("A1", POLICE)], left, expect(), TEAM)
    assert (unexplained.duplicates, unexplained.provider_gap) == (2, 0)


def test_a_record_left_queued_or_failed_is_stuck() -> None:
    ledger = [record("A1", POLICE, status="queued"), record("A1", NEIGHBOUR, status="dead_letter")]
    assert len(judge([public()], ledger, [], expect(), TEAM).stuck) == 2


def test_anything_of_a_silent_alert_off_the_response_team_is_a_leak() -> None:
    left = [
        ("S1", "alert", "sms", "+5492615550301", 1.0),  # the team: expected
        ("S1", "alert", "sms", NEIGHBOUR, 1.0),
        ("S1", "alert", "siren", "S-0001", 1.0),
        ("S1", "alert", "webhook", "provincial_cad", 1.0),
        ("A1", "alert", "sms", NEIGHBOUR, 1.0),  # a public alert's neighbour: not a leak
    ]
    verdict = judge([silent(), public()], [], left, expect(), TEAM)
    assert verdict.silent_leaks == [
        f"S1 alert sms → {NEIGHBOUR}",
        "S1 alert siren → S-0001",
        "S1 alert webhook → provincial_cad",
    ]

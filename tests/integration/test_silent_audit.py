"""The audit trail on the emulator: entries are appended, listed oldest first, and never overwritten."""

from vigia.adapters.dynamodb import audit


def test_entries_about_an_object_are_listed_oldest_first_with_the_reason(stack):
    # Given two reads of the same alert and one of another
    audit.record(
        "rt-1",
        "response_team",
        "unseal",
        "alert",
        "A1",
        reason="llamar\n a la vecina",
        at="2026-03-01T10:00:00.000Z",
    )
    audit.record("rt-2", "response_team", "unseal", "alert", "A1", at="2026-03-01T10:05:00.000Z")
    audit.record("rt-1", "response_team", "unseal", "alert", "A2", at="2026-03-01T10:01:00.000Z")
    # When the trail of A1 is listed
    trail = audit.list_for("A1")
    # Then it holds A1's two entries in order, with the reason cleaned of control characters
    assert [(e.actor_id, e.at) for e in trail] == [
        ("rt-1", "2026-03-01T10:00:00.000Z"),
        ("rt-2", "2026-03-01T10:05:00.000Z"),
    ]
    assert trail[0].reason == "llamar a la vecina"
    assert trail[1].reason is None
    assert audit.list_for("nothing-here") == []


def test_two_entries_in_the_same_millisecond_are_both_kept(stack):
    at = "2026-03-01T10:00:00.000Z"
    audit.record("rt-1", "response_team", "unseal", "alert", "A1", at=at)
    audit.record("rt-1", "response_team", "unseal", "alert", "A1", at=at)
    assert len(audit.list_for("A1")) == 2


def test_a_long_reason_is_capped():
    assert len(audit.clean_reason("x" * 1000) or "") == audit.REASON_MAX
    assert audit.clean_reason("   ") is None

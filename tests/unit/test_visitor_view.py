"""A visitor alert as the monitoring centre sees it: which partner city (by its name), whom to call back."""

from datetime import UTC, datetime

from tests.support import godoy_cruz_pack
from vigia.alerts.model import Alert, Visitor
from vigia.alerts.reading import read_alert
from vigia.callers import Caller
from vigia.incidents import service
from vigia.incidents.lifecycle import Incident

PACK = godoy_cruz_pack()
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAMES = {"penalolen": "Peñalolén"}
VISITOR = Visitor("penalolen", "R1", "Ana", "+56912345678", report="penalolen,R1,2026-03-01T12:00:00Z")


def alert(visitor: Visitor | None = VISITOR) -> Alert:
    sender = "visitor#penalolen#R1" if visitor else "resident-1"
    return Alert(
        "A1",
        "robbery",
        False,
        1,
        sender,
        -32.9,
        -68.8,
        10.0,
        None,
        "B-1",
        "Q-01",
        "point",
        "received",
        "2026-03-01T12:00:00Z",
        "2026-03-01",
        visitor=visitor,
    )


def incident(visitor: Visitor | None = VISITOR) -> Incident:
    return Incident(
        "A1",
        "robbery",
        1,
        False,
        "visitor#penalolen#R1",
        "2026-03-01T12:00:00Z",
        "received",
        visitor=vars(visitor) if visitor else None,
    )


def staff(role: str) -> Caller:
    return Caller(f"{role}-1", f"{role}@example.org", frozenset({role}))


def test_the_queue_row_of_a_visitor_alert_names_its_partner_city():
    row = service.queue_item(incident(), now=T0, role="operator", partner_names=NAMES)
    assert row["visitor"] == {"partner": "penalolen", "partner_name": "Peñalolén"}
    # nothing of the caller in the queue, and a resident's alert has no visitor at all
    assert "Ana" not in str(row)
    assert "+569" not in str(row)
    assert "visitor" not in service.queue_item(incident(None), now=T0, role="operator", partner_names=NAMES)


def test_a_partner_no_longer_in_the_agreement_is_named_by_its_id_only():
    row = service.queue_item(incident(), now=T0, role="operator", partner_names={})
    assert row["visitor"] == {"partner": "penalolen"}


def test_the_monitoring_centre_reads_whom_to_call_back_and_other_staff_do_not():
    for role in ("operator", "admin"):
        seen = read_alert(alert(), "A1", who=staff(role), pack=PACK, partner_names=NAMES)
        assert seen["visitor"] == {
            "partner": "penalolen",
            "partner_name": "Peñalolén",
            "remote_id": "R1",
            "caller_name": "Ana",
            "callback_phone": "+56912345678",
        }
    for role in ("police", "analyst", "response_team"):
        seen = read_alert(alert(), "A1", who=staff(role), pack=PACK, partner_names=NAMES)
        assert seen["visitor"] == {"partner": "penalolen", "partner_name": "Peñalolén", "remote_id": "R1"}
        assert "+56912345678" not in str(seen)
        assert "Ana" not in str(seen)
    # the CAP reference the host's Updates answer is nobody's to read
    assert (
        "report"
        not in read_alert(alert(), "A1", who=staff("admin"), pack=PACK, partner_names=NAMES)["visitor"]
    )


def test_a_residents_alert_has_no_visitor_part():
    seen = read_alert(alert(None), "A1", who=staff("operator"), pack=PACK, partner_names=NAMES)
    assert "visitor" not in seen

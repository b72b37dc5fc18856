"""NightlyIndicatorsFunction's doors: which days a direct invocation names, and what it refuses."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support import FakeContext
from vigia.errors import InvalidRequest, Unprocessable
from vigia.handlers.nightly_indicators import explicit_days, lambda_handler


def test_a_direct_invocation_names_one_day_or_a_range():
    assert explicit_days({"date": "2026-03-10"}) == [date(2026, 3, 10)]
    assert explicit_days({"from": "2026-02-27", "to": "2026-03-01"}) == [
        date(2026, 2, 27),
        date(2026, 2, 28),
        date(2026, 3, 1),
    ]


@pytest.mark.parametrize(
    ("event", "error", "path"),
    [
        ({"from": "2026-03-02", "to": "2026-03-01"}, Unprocessable, "/from"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, Unprocessable, "/from"),
        ({"from": "2026-03-01"}, InvalidRequest, "/to"),
        ({"date": "yesterday"}, InvalidRequest, "/date"),
    ],
)
def test_a_direct_invocation_refuses_what_it_cannot_run(event, error, path):
    with pytest.raises(error) as raised:
        explicit_days(event)
    assert raised.value.errors[0].path == path


def test_an_event_of_no_known_shape_fails_loudly():
    context = FakeContext("NightlyIndicatorsFunction", 1024, remaining_ms=1000, aws_request_id="r")
    with pytest.raises(ValueError, match="expected"):
        lambda_handler({"detail-type": "Scheduled Event"}, context)

"""The sending window (submission.admit): never more than the limit in a window, an honest Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigia import clock
from vigia.alerts.submission import SendingWindow, admit
from vigia.city import RateLimit
from vigia.errors import TooManyAlerts

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@settings(max_examples=200, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=900), min_size=1, max_size=40),
    max_alerts=st.integers(min_value=1, max_value=5),
    window_s=st.integers(min_value=1, max_value=1200),
)
def test_no_window_ever_holds_more_than_the_limit(gaps: list[int], max_alerts: int, window_s: int) -> None:
    # Given a resident tapping at arbitrary moments, and the city's limit
    limit = RateLimit(max_alerts, window_s)
    window, now, accepted = SendingWindow("window#alert#r-1"), START, []
    for gap in gaps:
        now += timedelta(seconds=gap)
        # When each tap asks the window
        try:
            window = admit(window, now=now, limit=limit, helpline="+54")
        except TooManyAlerts as refused:
            # Then a refusal names a wait after which a tap would be accepted, and no shorter one
            after = now + timedelta(seconds=refused.retry_after_s)
            admit(window, now=after, limit=limit, helpline="+54")
            with pytest.raises(TooManyAlerts):
                admit(window, now=after - timedelta(seconds=1.5), limit=limit, helpline="+54")
            continue
        accepted.append(now)
        assert len(window.sent) <= max_alerts
    # And no span of window_s seconds holds more than max_alerts accepted taps
    for i, first in enumerate(accepted):
        inside = [t for t in accepted[i:] if t < first + timedelta(seconds=window_s)]
        assert len(inside) <= max_alerts


def test_the_fourth_alert_waits_for_the_first_to_leave_the_window() -> None:
    limit = RateLimit(3, 600)
    window = SendingWindow("window#alert#r-1")
    for minute in (0, 2, 4):
        window = admit(window, now=START + timedelta(minutes=minute), limit=limit, helpline="+54")
    with pytest.raises(TooManyAlerts) as refused:
        admit(window, now=START + timedelta(minutes=5), limit=limit, helpline="+54")
    assert refused.value.retry_after_s == 300  # the 12:00 alert leaves the window at 12:10
    assert "+54" in str(refused.value)
    later = admit(window, now=START + timedelta(minutes=10), limit=limit, helpline="+54")
    assert later.sent == tuple(clock.iso(START + timedelta(minutes=m)) for m in (2, 4, 10))
    assert later.version == window.version  # the version read: the write expects it and stores the next

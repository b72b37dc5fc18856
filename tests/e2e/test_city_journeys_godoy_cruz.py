"""The city journeys of test_city_journeys.py, the same tests, for Godoy Cruz on the session's local stack."""

from __future__ import annotations

import pytest

from tests.e2e.test_city_journeys import (
    city,
    test_a_resident_registers_with_her_local_mobile_and_is_approved_on_her_block,
    test_a_resident_signs_up_in_the_app_in_her_citys_words_and_her_alert_reaches_its_service,
    test_a_silent_alarm_reaches_the_response_team_only,
    test_an_incident_runs_from_received_to_resolved_with_the_citys_first_unit,
    test_each_service_is_reached_at_the_citys_numbers_within_its_limit_and_cancel_window,
    test_hot_spots_and_a_patrol_schedule_on_the_citys_clock_and_minutes,
    test_nightly_indicators_count_the_citys_local_day,
    test_the_app_lists_the_citys_alert_types_in_its_words_as_its_api_document_says,
)

pytestmark = pytest.mark.e2e
CITY_ID = "godoy-cruz"  # read by the `city` fixture

__all__ = [
    "city",
    "test_a_resident_registers_with_her_local_mobile_and_is_approved_on_her_block",
    "test_a_resident_signs_up_in_the_app_in_her_citys_words_and_her_alert_reaches_its_service",
    "test_a_silent_alarm_reaches_the_response_team_only",
    "test_an_incident_runs_from_received_to_resolved_with_the_citys_first_unit",
    "test_each_service_is_reached_at_the_citys_numbers_within_its_limit_and_cancel_window",
    "test_hot_spots_and_a_patrol_schedule_on_the_citys_clock_and_minutes",
    "test_nightly_indicators_count_the_citys_local_day",
    "test_the_app_lists_the_citys_alert_types_in_its_words_as_its_api_document_says",
]

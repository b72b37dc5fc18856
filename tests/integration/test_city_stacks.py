"""The integration stack runs the city it is given: a test marked `cities` meets every pack's stack."""

from __future__ import annotations

import pytest

from tests.integration.conftest import CITIES, home_block_id, near_centre, registration_body
from tests.support.people import rut_check_digit


def test_every_pack_under_infra_cities_is_one_of_the_cities():
    assert {"godoy-cruz", "penalolen"} <= set(CITIES)


@pytest.mark.cities
def test_each_city_s_stack_runs_its_pack_on_its_clock_with_its_people(stack, city):
    # Given the stack of one city
    pack = stack.pack
    # Then its functions load that pack, run with its CityId and on its time zone (never Mendoza's elsewhere)
    assert pack.city_id == city
    assert stack.environment["CITY_ID"] == city
    assert stack.environment["CITY_TIME_ZONE"] == pack.time_zone
    # and its test residents live in its service area, with its country's mobile and national id
    body = registration_body("prueba")
    assert pack.in_service_area(*near_centre())
    assert pack.block_at(*near_centre()).block_id == home_block_id()
    assert body["phone"].startswith({"AR": "+549", "CL": "+569"}[pack.country_code])
    if pack.country_code == "CL":
        number, check = body["national_id"].split("-")
        assert rut_check_digit(int(number)) == check


def test_the_rut_check_digit_is_modulo_11():
    # RUTs whose check digits are known: 12.345.678-5, 11.111.111-1, and ones ending in K and 0
    assert rut_check_digit(12_345_678) == "5"
    assert rut_check_digit(11_111_111) == "1"
    assert rut_check_digit(10_000_013) == "K"
    assert rut_check_digit(10_000_004) == "0"

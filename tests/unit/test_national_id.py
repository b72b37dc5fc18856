"""National ids as each country writes them: Chile's RUT (check digit), Argentina's DNI, else as before."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigia.errors import Unprocessable
from vigia.residents.national_id import normalise_national_id, rut_check_digit


def refusal(raw: str, country_code: str) -> Unprocessable:
    with pytest.raises(Unprocessable) as refused:
        normalise_national_id(raw, country_code)
    return refused.value


# --- Chile: RUT ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["12.345.678-5", "12345678-5", "123456785", " 12.345.678-5 ", "12345678 - 5"],
)
def test_a_rut_written_with_or_without_dots_and_dash_is_stored_one_way(raw: str) -> None:
    assert normalise_national_id(raw, "CL") == "12345678-5"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("10.000.013-K", "10000013-K"),  # check digit K (11 - sum mod 11 = 10)
        ("10000013-k", "10000013-K"),  # written in lower case
        ("10000013k", "10000013-K"),
        ("10.000.004-0", "10000004-0"),  # check digit 0 (11 - sum mod 11 = 11)
        ("5.000.001-K", "5000001-K"),  # a 7-digit body (older RUTs)
        ("7654321-6", "7654321-6"),
        ("11.111.111-1", "11111111-1"),
    ],
)
def test_ruts_with_k_and_0_check_digits_and_seven_digit_bodies_are_accepted(raw: str, stored: str) -> None:
    assert normalise_national_id(raw, "CL") == stored


@pytest.mark.parametrize(
    "raw",
    [
        "12.345.678-4",  # wrong check digit
        "12345678-K",  # K where 5 is due
        "10000013-0",  # 0 where K is due
        "10000004-K",  # K where 0 is due
        "123456789-5",  # a 9-digit body
        "123456-7",  # a 6-digit body
        "01234567-8",  # a body with a leading zero
        "87.654.321-",  # no check digit
        "12-345-678-5",  # dashes as group separators
        "1.2345.678-5",  # dots in the wrong places
        "AB345678-5",
        "30111223",  # an 8-digit DNI read as a 7-digit body and a check digit: wrong
    ],
)
def test_a_wrong_rut_is_a_422_naming_the_national_id(raw: str) -> None:
    problem = refusal(raw, "CL")
    assert problem.status == 422
    assert [e.path for e in problem.errors] == ["/national_id"]
    assert "RUT" in problem.detail
    assert raw.strip() not in problem.detail  # the id itself is not echoed into logs and answers


def test_the_refusal_says_whether_the_check_digit_or_the_shape_is_wrong() -> None:
    assert "check digit does not match" in refusal("12.345.678-4", "CL").errors[0].message
    assert "7 or 8 digits" in refusal("123456-7", "CL").errors[0].message


@given(body=st.integers(min_value=1_000_000, max_value=99_999_999), wrong=st.sampled_from("0123456789K"))
def test_every_rut_body_has_exactly_one_check_digit(body: int, wrong: str) -> None:
    # Given any 7- or 8-digit body, the check digit mod 11 gives is accepted, dotted or not
    right = rut_check_digit(str(body))
    assert normalise_national_id(f"{body:,}".replace(",", ".") + f"-{right}", "CL") == f"{body}-{right}"
    # and every other digit is refused: guessing a RUT from someone's body needs the right digit
    if wrong != right:
        with pytest.raises(Unprocessable):
            normalise_national_id(f"{body}-{wrong}", "CL")


# --- Argentina: DNI --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("30.123.456", "30123456"), ("30123456", "30123456"), ("7.123.456", "7123456"), ("7123456", "7123456")],
)
def test_a_dni_with_or_without_dots_is_stored_as_its_digits(raw: str, stored: str) -> None:
    assert normalise_national_id(raw, "AR") == stored


@pytest.mark.parametrize(
    "raw",
    [
        "123456",
        "123456789",
        "30.123.45",
        "30-123-456",
        "3O123456",  # a letter O for a zero
        "12.345.678-5",
        "01234567",  # a leading zero would make 1234567 a second identity
        "３０１２３４５６",  # full-width digits: another spelling of 30123456
    ],
)
def test_a_wrong_dni_is_a_422_naming_the_national_id(raw: str) -> None:
    problem = refusal(raw, "AR")
    assert problem.status == 422
    assert [e.path for e in problem.errors] == ["/national_id"]
    assert "DNI" in problem.detail


# --- any other country: letters and digits, as before ---------------------------------------------


def test_another_countrys_id_keeps_letters_and_digits_in_upper_case() -> None:
    assert normalise_national_id("ab-123.456 7", "UY") == "AB1234567"


def test_another_countrys_id_without_a_letter_or_digit_is_refused() -> None:
    assert refusal("-.-.-.", "UY").errors[0].path == "/national_id"

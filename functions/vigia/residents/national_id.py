"""Residents' national ids as their country writes them, checked and stored one way: RUT, DNI, or as typed."""

from __future__ import annotations

import re

from vigia.errors import FieldError, Unprocessable

PATH = "/national_id"

# Chile's RUT: a 7- or 8-digit body (dots between thousands optional) and a check digit (0-9 or K),
# with or without the dash. Argentina's DNI: 7 or 8 digits, dots optional. Neither starts with 0.
_RUT = re.compile(r"([1-9][0-9]?)\.?([0-9]{3})\.?([0-9]{3})-?([0-9K])")
_DNI = re.compile(r"([1-9][0-9]?)\.?([0-9]{3})\.?([0-9]{3})")


def rut_check_digit(body: str) -> str:
    """The RUT's check digit of `body` (digits): mod 11 with weights 2-7 from the right; 10 is K, 11 is 0."""
    total, weight = 0, 2
    for digit in reversed(body):
        total += int(digit) * weight
        weight = 2 if weight == 7 else weight + 1
    check = 11 - total % 11
    return {10: "K", 11: "0"}.get(check, str(check))


def normalise_national_id(raw: str, country_code: str) -> str:
    """The id as stored (RUT `12345678-5`, DNI `30123456`, else letters and digits in upper case).

    A 422 naming /national_id when it is not one of the country's; the id itself is not repeated in the
    answer (it would land in logs).
    """
    text = "".join(raw.split()).upper()
    if country_code == "CL":
        return _rut(text)
    if country_code == "AR":
        return _dni(text)
    typed = "".join(c for c in text if c.isalnum())
    if not typed:
        raise _refused("The national id needs letters or digits.", "needs letters or digits")
    return typed


def _rut(text: str) -> str:
    match = _RUT.fullmatch(text)
    if match is None:
        raise _refused(
            "The national id is not a RUT: 7 or 8 digits and a check digit, as in 12.345.678-5.",
            "not a RUT (7 or 8 digits and a check digit, as in 12.345.678-5)",
        )
    body, check = "".join(match.groups()[:3]), match.group(4)
    if rut_check_digit(body) != check:
        # Also what stops someone from claiming a RUT by changing a digit of a real one.
        raise _refused(
            "The national id is not a valid RUT: its check digit does not match.",
            "the RUT's check digit does not match",
        )
    return f"{body}-{check}"


def _dni(text: str) -> str:
    match = _DNI.fullmatch(text)
    if match is None:
        raise _refused(
            "The national id is not a DNI: 7 or 8 digits, as in 30.123.456.",
            "not a DNI (7 or 8 digits, as in 30.123.456)",
        )
    return "".join(match.groups())


def _refused(detail: str, message: str) -> Unprocessable:
    # 422, not 400: the text has the document's shape; the country's numbering refuses it.
    return Unprocessable(detail, errors=[FieldError(PATH, message)])

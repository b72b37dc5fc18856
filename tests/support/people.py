"""A test person's mobile and national id as people of a pack's country write them (Argentina, Chile)."""

from __future__ import annotations


def rut_check_digit(body: int) -> str:
    """The RUT's check digit (módulo 11: weights 2..7 from the right; 11 is 0, 10 is K)."""
    total, factor = 0, 2
    for digit in reversed(str(body)):
        total += int(digit) * factor
        factor = 2 if factor == 7 else factor + 1
    check = 11 - total % 11
    return "0" if check == 11 else "K" if check == 10 else str(check)


def rut(body: int) -> str:
    """A Chilean RUT as residents type it: 12345678-5."""
    return f"{body}-{rut_check_digit(body)}"


def national_id(country_code: str, number: int) -> str:
    """The national id a resident of the country registers with, from `number` (7 or 8 digits)."""
    if country_code == "CL":
        return rut(number)
    if country_code == "AR":
        return f"{number:08d}"  # DNI
    raise ValueError(f"no national id format for country {country_code!r}")


def local_mobile(country_code: str, n: int) -> str:
    """A valid mobile of the country in E.164, one per n in [0, 10_000)."""
    if country_code == "CL":
        return f"+5699{n:07d}"  # +56 9 and 8 digits
    if country_code == "AR":
        return f"+5492615{n:06d}"  # Mendoza: +54 9 261 and 7 digits
    raise ValueError(f"no mobile numbering for country {country_code!r}")


def seeded_mobile(country_code: str, group: int, i: int) -> str:
    """A valid mobile of the country for a seeded resident: `group` in [0, 100), `i` in [0, 10_000); never
    one local_mobile gives."""
    if country_code == "CL":
        return f"+56986{group:02d}{i:04d}"
    if country_code == "AR":
        return f"+54926156{group:02d}{i:04d}"
    raise ValueError(f"no mobile numbering for country {country_code!r}")

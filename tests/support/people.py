"""A test person's mobile and national id as people of a pack's country write them (Argentina, Chile)."""

from __future__ import annotations

from vigia.residents.national_id import rut_check_digit as registration_check_digit


def rut_check_digit(body: int) -> str:
    """The RUT's check digit (módulo 11: weights 2..7 from the right; 11 is 0, 10 is K), as registration
    checks it (tests/integration/test_city_stacks.py holds it to known RUTs)."""
    return registration_check_digit(str(body))


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


def fresh_mobile(country_code: str, n: int) -> tuple[str, str]:
    """A mobile of the country above the local stack's demo residents' numbers (so never one of theirs):
    (as a resident types it, E.164)."""
    import phonenumbers

    from infra.local.demo_residents import demography

    people = demography(country_code)
    top = people.phone_low + people.phone_span
    width = len(str(top - 1))
    while True:
        e164 = f"{people.phone_prefix}{top + n % (10**width - top)}"
        number = phonenumbers.parse(e164)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL), e164
        n //= 7


def fresh_national_id(country_code: str, n: int) -> str:
    """A national id of the country above the demo residents' (infra/local/demo_residents.py)."""
    from infra.local.demo_residents import demography

    people = demography(country_code)
    return national_id(country_code, people.id_low + people.id_span + n % 9_000_000)

"""Residents: formal registration, approval onto a home block, and the resident's own profile."""

from vigia.residents.registration import (
    DuplicateValue,
    Identity,
    Resident,
    ResidentStore,
    approve,
    check_password,
    normalise_phone,
)

__all__ = [
    "DuplicateValue",
    "Identity",
    "Resident",
    "ResidentStore",
    "approve",
    "check_password",
    "normalise_phone",
]

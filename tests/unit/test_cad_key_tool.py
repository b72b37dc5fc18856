"""`make cad-key`: prints the key a CAD's IT team checks Vigía's signatures with, and nothing for a CAD the
pack does not name."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from infra.tools import cad_key
from vigia.dispatch import signing

SECRET = "the-stacks-cad-secret"


class Secrets:
    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        assert SecretId == "arn:aws:secretsmanager:us-east-1:000000000000:secret:CadSecret"
        return {"SecretString": SECRET}


@pytest.fixture(autouse=True)
def _penalolens_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    def stack(_args: argparse.Namespace) -> tuple[str, str, Any]:
        return "penalolen", "arn:aws:secretsmanager:us-east-1:000000000000:secret:CadSecret", Secrets()

    monkeypatch.setattr(cad_key, "_stack", stack)


def test_the_pdis_key_is_derived_and_the_provincial_key_is_the_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cad_key.main(["pdi"]) == 0
    pdi = capsys.readouterr().out.strip()
    assert pdi == signing.cad_key(SECRET, "pdi") != SECRET
    assert cad_key.main([]) == 0
    assert capsys.readouterr().out.strip() == SECRET


def test_a_cad_the_pack_does_not_name_gets_no_key(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        cad_key.main(["fiscalia"])
    assert refused.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "names no CAD 'fiscalia'" in captured.err
    assert "pdi" in captured.err


def test_the_cloud_needs_a_city() -> None:
    with pytest.raises(SystemExit):
        cad_key.main(["pdi", "--cloud"])

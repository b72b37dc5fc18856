"""`make run-pair`'s layout, nothing started: each city's folder, ports, settings and agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.pair import PairError, members, pair_agreement, partner_deadline


def test_the_pair_is_godoy_cruz_on_3000_and_penalolen_on_3100_each_under_its_own_folder(
    tmp_path: Path,
) -> None:
    pair = members({"VIGIA_LOCAL_DIR": str(tmp_path)})

    assert [(m.city, m.aws_port, m.api_port, m.ws_port) for m in pair] == [
        ("godoy-cruz", 4566, 3000, 3001),
        ("penalolen", 4666, 3100, 3101),
    ]
    assert [m.local_dir for m in pair] == [tmp_path / "godoy-cruz", tmp_path / "penalolen"]


def test_each_member_gets_its_own_city_ports_folder_and_agreement_and_the_rest_is_shared(
    tmp_path: Path,
) -> None:
    base = {
        "VIGIA_CITY": "somewhere",  # a `make run CITY=…` habit must not make both stacks one city
        "VIGIA_API_PORT": "9999",
        "VIGIA_DEMO_RESIDENTS": "300",
        "PATH": "/usr/bin",
    }
    pair = members({"VIGIA_LOCAL_DIR": str(tmp_path), "VIGIA_PAIR_PORTS": "penalolen=1,2,3"})

    envs = {m.city: m.environment(base) for m in pair}

    assert envs["godoy-cruz"]["VIGIA_CITY"] == "godoy-cruz"
    assert envs["penalolen"]["VIGIA_CITY"] == "penalolen"
    assert (envs["penalolen"]["VIGIA_AWS_PORT"], envs["penalolen"]["VIGIA_API_PORT"]) == ("1", "2")
    assert envs["penalolen"]["VIGIA_WS_PORT"] == "3"
    assert envs["godoy-cruz"]["VIGIA_API_PORT"] == "3000"
    assert envs["penalolen"]["VIGIA_LOCAL_DIR"] == str(tmp_path / "penalolen")
    assert envs["penalolen"]["VIGIA_FEDERATION_AGREEMENT"] == str(tmp_path / "penalolen" / "federation.json")
    assert all(env["VIGIA_DEMO_RESIDENTS"] == "300" and env["PATH"] == "/usr/bin" for env in envs.values())


@pytest.mark.parametrize(
    "ports",
    ["penalolen=1,2", "santiago=1,2,3", "penalolen=a,b,c", "penalolen:1,2,3"],
    ids=["two-ports", "unknown-city", "not-numbers", "no-equals"],
)
def test_ports_that_do_not_name_a_city_and_three_ports_stop_the_pair_naming_them(ports: str) -> None:
    with pytest.raises(PairError, match="VIGIA_PAIR_PORTS"):
        members({"VIGIA_PAIR_PORTS": ports})


def test_an_agreement_is_the_committed_one_with_the_partners_key_and_port() -> None:
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "kid": "penalolen-1",
        "use": "sig",
        "alg": "ES256",
    }

    filled = pair_agreement("godoy-cruz", "penalolen", [jwk], "http://127.0.0.1:43100")

    (partner,) = filled["partners"]
    assert partner["keys"] == {"keys": [jwk]}
    assert partner["endpoint"] == "http://127.0.0.1:43100/v1/federation/messages"
    assert filled["city_id"] == "godoy-cruz"
    assert partner["deadline_s"] == 60  # the committed deadline, unless the pair is told another


def test_the_pair_can_shorten_the_partners_deadline_in_its_copies_only() -> None:
    committed = (Path(__file__).parents[2] / "infra/cities/godoy-cruz/federation.json").read_text()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "kid": "penalolen-1",
        "use": "sig",
        "alg": "ES256",
    }
    deadline_s = partner_deadline({"VIGIA_PAIR_DEADLINE_S": "5"})

    filled = pair_agreement("godoy-cruz", "penalolen", [jwk], "http://127.0.0.1:43100", deadline_s=deadline_s)

    assert [p["deadline_s"] for p in filled["partners"]] == [5]
    assert (Path(__file__).parents[2] / "infra/cities/godoy-cruz/federation.json").read_text() == committed
    assert partner_deadline({}) is None


@pytest.mark.parametrize("text", ["4", "3601", "five", "-5", "5.5"])
def test_a_deadline_the_agreement_would_refuse_stops_the_pair_naming_it(text: str) -> None:
    with pytest.raises(PairError, match="VIGIA_PAIR_DEADLINE_S"):
        partner_deadline({"VIGIA_PAIR_DEADLINE_S": text})


def test_a_private_key_is_never_written_into_an_agreement() -> None:
    leaked = {
        "kty": "EC",
        "crv": "P-256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
        "d": "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
        "kid": "penalolen-1",
    }

    with pytest.raises(ValueError, match="private"):
        pair_agreement("godoy-cruz", "penalolen", [leaked], "http://127.0.0.1:43100")

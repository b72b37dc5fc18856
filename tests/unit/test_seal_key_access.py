"""Decrypting sealed identities is the right of one function (issue 10, rule 10): read from the TRANSLATED
template, no role but SilentApiFunction's (the response team's reads) and SilentRouterFunction's (it opens
the envelope to route a silent alert and to send its place on request_police) can kms:Decrypt the SealKey,
whether through the key policy, an inline statement or a SAM policy template (KMSDecryptPolicy…)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.engine.template import translate

SEAL_KEY = "SealKey"
ALLOWED = {"SilentApiFunctionRole", "SilentRouterFunctionRole"}
# What a statement's Action may say that includes kms:Decrypt.
DECRYPTING = {"kms:decrypt", "kms:*", "*", "kms:decrypt*", "kms:de*", "kms:d*"}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _decrypts(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    if "NotAction" in statement:
        return "kms:decrypt" not in {str(a).lower() for a in _listed(statement["NotAction"])}
    return any(str(a).lower() in DECRYPTING for a in _listed(statement.get("Action", [])))


def _may_be_seal_key(resource: Any) -> bool:
    """A resource that is, or may be, the SealKey: "*", a key wildcard, or any expression naming it."""
    text = json.dumps(resource)
    return SEAL_KEY in text or resource == "*" or (isinstance(resource, str) and resource.endswith(":key/*"))


def _role_of(principal: Any) -> str:
    """The logical id of the role a key-policy principal names (Fn::GetAtt [XRole, Arn]), or the text."""
    text = json.dumps(principal)
    for value in _listed(principal.get("AWS") if isinstance(principal, dict) else principal):
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            return str(value["Fn::GetAtt"][0])
    return text


def key_policy_decrypters(cfn: dict[str, Any]) -> set[str]:
    statements = cfn["Resources"][SEAL_KEY]["Properties"]["KeyPolicy"]["Statement"]
    return {_role_of(s.get("Principal")) for s in statements if _decrypts(s)}


def iam_decrypters(cfn: dict[str, Any]) -> set[str]:
    """Roles (and managed policies) with an Allow kms:Decrypt that may reach the SealKey."""
    found: set[str] = set()
    for logical_id, resource in cfn["Resources"].items():
        props = resource.get("Properties") or {}
        documents: list[dict[str, Any]] = []
        if resource["Type"] == "AWS::IAM::Role":
            documents = [p["PolicyDocument"] for p in props.get("Policies", [])]
            managed = json.dumps(props.get("ManagedPolicyArns", []))
            assert "KMS" not in managed.upper() or "Decrypt" not in managed, logical_id
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents = [props["PolicyDocument"]]
        for document in documents:
            for statement in _listed(document.get("Statement", [])):
                if _decrypts(statement) and any(
                    _may_be_seal_key(r) for r in _listed(statement.get("Resource"))
                ):
                    found.add(logical_id)
    return found


def test_only_the_response_teams_reads_and_the_silent_router_can_decrypt_the_seal_key(cfn):
    # The key policy names who may decrypt; the account's own statement grants no use of the key, so no
    # IAM policy anywhere can add a decrypter behind its back
    assert key_policy_decrypters(cfn) == ALLOWED
    assert iam_decrypters(cfn) <= ALLOWED
    root = [
        s
        for s in cfn["Resources"][SEAL_KEY]["Properties"]["KeyPolicy"]["Statement"]
        if ":root" in json.dumps(s)
    ]
    assert root
    assert not any(_decrypts(s) for s in root)


def test_api_function_seals_at_intake_but_cannot_open(cfn):
    statements = cfn["Resources"][SEAL_KEY]["Properties"]["KeyPolicy"]["Statement"]
    api = [s for s in statements if _role_of(s.get("Principal")) == "ApiFunctionRole"]
    assert [sorted(_listed(s["Action"])) for s in api] == [["kms:GenerateDataKey"]]


def test_the_check_itself_catches_a_decrypter_added_any_way(cfn):
    """The attacker's moves: a KMSDecryptPolicy on the SealKey, a wildcard statement, a key-policy grant."""
    import copy

    for tamper in ("policy_template", "wildcard", "key_policy"):
        bad = copy.deepcopy(cfn)
        role = bad["Resources"]["ApiFunctionRole"]["Properties"]
        if tamper == "policy_template":  # what KMSDecryptPolicy: {KeyId: !Ref SealKey} translates to
            resource = {
                "Fn::Sub": [
                    "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${keyId}",
                    {"keyId": {"Ref": SEAL_KEY}},
                ]
            }
            role["Policies"].append(
                {
                    "PolicyName": "x",
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": resource}]
                    },
                }
            )
            assert "ApiFunctionRole" in iam_decrypters(bad)
        elif tamper == "wildcard":
            role["Policies"].append(
                {
                    "PolicyName": "x",
                    "PolicyDocument": {
                        "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]
                    },
                }
            )
            assert "ApiFunctionRole" in iam_decrypters(bad)
        else:
            bad["Resources"][SEAL_KEY]["Properties"]["KeyPolicy"]["Statement"].append(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": {"Fn::GetAtt": ["DispatchFunctionRole", "Arn"]}},
                    "Action": "kms:Decrypt*",
                    "Resource": "*",
                }
            )
            assert "DispatchFunctionRole" in key_policy_decrypters(bad)

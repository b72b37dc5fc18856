"""Minors' data has its own key (issue 17): read from the TRANSLATED template, SatTable is encrypted with
SatKey, only the SAT's three functions (SatApiFunction, IngestDatasetFunction for the attendance reader,
SatRetentionFunction) can use that key, and only through DynamoDB; the account's own statement grants no use,
so no IAM policy can add a reader; and no other role may touch SatTable at all."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra.local.engine.template import translate
from tests.unit.test_seal_key_access import _decrypts, _listed, _role_of

SAT_KEY = "SatKey"
ALLOWED = {"SatApiFunctionRole", "IngestDatasetFunctionRole", "SatRetentionFunctionRole"}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translate()


def key_users(cfn: dict[str, Any]) -> set[str]:
    statements = cfn["Resources"][SAT_KEY]["Properties"]["KeyPolicy"]["Statement"]
    found: set[str] = set()
    for statement in statements:
        if _decrypts(statement):
            principal = statement.get("Principal") or {}
            for value in _listed(principal.get("AWS") if isinstance(principal, dict) else principal):
                found.add(_role_of({"AWS": value}))
    return found


def sat_table_roles(cfn: dict[str, Any]) -> set[str]:
    """Roles with any statement whose resource is, or may be, SatTable (by reference, by name or "*")."""
    found: set[str] = set()
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in _listed(policy["PolicyDocument"].get("Statement", [])):
                actions = " ".join(str(a) for a in _listed(statement.get("Action", []))).lower()
                if "dynamodb" not in actions and actions != "*":
                    continue
                for r in _listed(statement.get("Resource")):
                    text = json.dumps(r)
                    if "SatTable" in text or "-sat" in text or r == "*" or text.endswith(':table/*"'):
                        found.add(logical_id)
    return found


def test_sat_table_is_encrypted_with_its_own_key(cfn):
    sse = cfn["Resources"]["SatTable"]["Properties"]["SSESpecification"]
    assert sse["SSEEnabled"] is True
    assert sse["SSEType"] == "KMS"
    assert sse["KMSMasterKeyId"] == {"Ref": SAT_KEY}
    # no other table shares the key
    others = [
        lid
        for lid, r in cfn["Resources"].items()
        if r["Type"] == "AWS::DynamoDB::Table" and lid != "SatTable" and SAT_KEY in json.dumps(r)
    ]
    assert others == []


def test_only_the_sat_functions_can_use_the_key_and_only_through_dynamodb(cfn):
    assert key_users(cfn) == ALLOWED
    statements = cfn["Resources"][SAT_KEY]["Properties"]["KeyPolicy"]["Statement"]
    for statement in statements:
        if _decrypts(statement):
            assert "kms:ViaService" in json.dumps(statement["Condition"])
    root = [s for s in statements if ":root" in json.dumps(s)]
    assert root
    assert not any(_decrypts(s) for s in root)


def test_only_the_sat_functions_may_touch_the_sat_table(cfn):
    assert sat_table_roles(cfn) == ALLOWED


def test_the_checks_catch_a_reader_added_either_way(cfn):
    bad = copy.deepcopy(cfn)
    bad["Resources"][SAT_KEY]["Properties"]["KeyPolicy"]["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::GetAtt": ["ApiFunctionRole", "Arn"]}},
            "Action": "kms:*",
        }
    )
    assert "ApiFunctionRole" in key_users(bad)
    bad = copy.deepcopy(cfn)
    bad["Resources"]["ApiFunctionRole"]["Properties"]["Policies"].append(
        {
            "PolicyName": "x",
            "PolicyDocument": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:GetItem",
                        "Resource": {"Fn::GetAtt": ["SatTable", "Arn"]},
                    }
                ]
            },
        }
    )
    assert "ApiFunctionRole" in sat_table_roles(bad)

"""What a city cannot rebuild survives a stack delete or a replacing update (the translated template)."""

from __future__ import annotations

import functools
from typing import Any

from infra.local.engine.template import translate

# Resource types that hold what a city cannot rebuild: people's accounts, keys (a lost key loses every
# sealed record), secrets shared with partners, every table and the exports bucket. By type, so a new
# table, key or secret added later is covered too.
STATEFUL = (
    "AWS::Cognito::UserPool",
    "AWS::KMS::Key",
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
)


@functools.cache
def cfn() -> dict[str, Any]:
    return translate()


def test_every_stateful_resource_a_city_cannot_rebuild_is_retained_on_delete_and_on_replace():
    stateful = {k: v for k, v in cfn()["Resources"].items() if v["Type"] in STATEFUL}
    assert {"UserPool", "CadSecret", "SealKey", "DataKey", "AlertsTable", "ExportsBucket"} <= set(stateful)
    careless = sorted(
        f"{name} ({r['Type']})"
        for name, r in stateful.items()
        if r.get("DeletionPolicy") != "Retain" or r.get("UpdateReplacePolicy") != "Retain"
    )
    assert careless == [], "a stack delete or a replacing update would destroy these"

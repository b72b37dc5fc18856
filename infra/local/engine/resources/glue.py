"""Glue Data Catalog databases and tables in the emulator (moto keeps them; the local stack queries the lake
with DuckDB, not Glue: the catalog is there to be read, `aws glue get-tables` shows the cloud's columns)."""

from __future__ import annotations

from typing import Any

from infra.local.engine.intrinsics import ResourceState
from infra.local.engine.resources.registry import Env, creator


@creator("AWS::Glue::Database")
def _database(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    database = dict(p["DatabaseInput"])
    database.setdefault("Name", env.name(logical_id, lower=True, sep="_"))
    env.client("glue").create_database(
        CatalogId=str(p.get("CatalogId") or env.account), DatabaseInput=database
    )
    return ResourceState("AWS::Glue::Database", database["Name"], {})


@creator("AWS::Glue::Table")
def _table(env: Env, logical_id: str, p: dict[str, Any]) -> ResourceState:
    table = dict(p["TableInput"])
    table.setdefault("Name", env.name(logical_id, lower=True, sep="_"))
    env.client("glue").create_table(
        CatalogId=str(p.get("CatalogId") or env.account), DatabaseName=p["DatabaseName"], TableInput=table
    )
    return ResourceState("AWS::Glue::Table", table["Name"], {})

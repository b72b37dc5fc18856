"""A dataset's manifest: what an analyst registers (POST /v1/datasets), checked against the city pack and the
datasets already registered, before any file is uploaded (docs/observatory.md "Sources and manifests")."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from vigia.datasets.readers import (
    ADMINISTRATIVE,
    GENERIC,
    POINT,
    READERS,
    ZONE_KINDS,
)
from vigia.errors import FieldError, Unprocessable

SAT_ATTENDANCE = "sat_attendance"  # = vigia.sat.attendance.READER

# A dataset's life: registered, its file uploaded and read, then in the lake and the observatory, or not.
AWAITING_UPLOAD, INGESTING, INGESTED, REFUSED = "awaiting_upload", "ingesting", "ingested", "refused"
STATUSES = (AWAITING_UPLOAD, INGESTING, INGESTED, REFUSED)
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "geojson": "geojson"}


def upload_key(dataset_id: str, file_format: str) -> str:
    """Where the file goes in LakeBucket: uploads/<dataset_id>/data.<ext> (the presigned PUT's only key)."""
    return f"uploads/{dataset_id}/data.{EXTENSIONS[file_format]}"


def dataset_of_key(key: str) -> str | None:
    parts = key.split("/")
    return parts[1] if len(parts) == 3 and parts[0] == "uploads" and parts[1] else None


class Datasets(Protocol):
    """What registration reads of the datasets already registered (adapters.dynamodb.datasets)."""

    def get(self, dataset_id: str) -> dict[str, Any] | None: ...

    def of_source(self, source: str) -> Iterable[dict[str, Any]]: ...


@dataclass(frozen=True)
class Place:
    """What of the city pack a manifest is checked against."""

    country_code: str
    official_scheme: str
    official_code: str
    blocks: frozenset[str]
    quadrants: frozenset[str]


def month(text: str) -> date:
    year, mon = text.split("-")
    return date(int(year), int(mon), 1)


def overlaps(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return bool(a["from"] <= b["to"] and b["from"] <= a["to"])  # YYYY-MM texts sort as months


def check(body: Mapping[str, Any], place: Place, datasets: Datasets) -> dict[str, Any]:
    """The manifest as stored (defaults filled in), or 422 naming the field (the schema has checked shapes:
    what is left are rules between fields, the city pack, and the datasets already there)."""
    problems: list[FieldError] = []
    reader = body["reader"]
    geography = dict(body["geography"])
    kind = geography["kind"]
    period = body["period"]
    if period["from"] > period["to"]:
        problems.append(FieldError("/period/to", f"{period['to']} is before from ({period['from']})"))
    allowed = READERS[reader].zone_kinds if reader != GENERIC else ZONE_KINDS
    if kind not in allowed:
        problems.append(
            FieldError("/geography/kind", f"the {reader} reader's rows are placed by {' or '.join(allowed)}")
        )
    problems += _administrative(geography, place)
    problems += _measures(reader, body)
    problems += _columns(reader, kind, body.get("columns"))
    if problems:
        raise Unprocessable("The manifest does not fit its reader or this city", errors=problems)
    replaced = _replaced(body, datasets)
    # a school sends its attendance every week: the same months again are expected, not counted twice (a
    # student's week written again replaces the one before, in SatTable)
    others = datasets.of_source(body["source"]) if reader != SAT_ATTENDANCE else ()
    for other in others:
        live = other.get("status") in (INGESTING, INGESTED) and not other.get("replaced_by")
        if live and other["dataset_id"] != replaced and overlaps(other["period"], period):
            raise Unprocessable(
                f"dataset {other['dataset_id']} of {body['source']} already covers "
                f"{other['period']['from']}..{other['period']['to']}: register this one with "
                f'"replaces": "{other["dataset_id"]}" (its figures would be counted twice)',
                errors=[FieldError("/period", "overlaps a dataset of the same source")],
            )
    manifest = {k: v for k, v in body.items() if k != "columns"}
    manifest["format"] = body.get("format", "csv")
    if kind in ADMINISTRATIVE:
        geography["code"] = geography.get("code") or place.official_code
    manifest["geography"] = geography
    if reader == GENERIC:
        manifest["columns"] = dict(body["columns"])
    return manifest


def _administrative(geography: Mapping[str, Any], place: Place) -> list[FieldError]:
    """An INDEC department belongs to an Argentine pack, a CUT comuna to a Chilean one; the code, if given,
    is the city's own (its rows are the ones the observatory compares)."""
    kind = geography["kind"]
    if kind not in ADMINISTRATIVE:
        if "code" in geography:
            return [FieldError("/geography/code", f"a {kind} geography has no administrative code")]
        return []
    country, scheme = ADMINISTRATIVE[kind]
    if place.country_code != country:
        return [
            FieldError(
                "/geography/kind",
                f"a {kind} is coded by {scheme} ({country}); this city is in {place.country_code}",
            )
        ]
    code = geography.get("code")
    if code is not None and place.official_scheme == scheme and code != place.official_code:
        return [
            FieldError(
                "/geography/code",
                f"{code} is not this city's {scheme} code ({place.official_code}): the observatory compares "
                "the city's own rows (the lake keeps every row of the file)",
            )
        ]
    return []


def _measures(reader: str, body: Mapping[str, Any]) -> list[FieldError]:
    names = [m["name"] for m in body["measures"]]
    problems = [
        FieldError(f"/measures/{i}/name", f"{n} is named twice")
        for i, n in enumerate(names)
        if n in names[:i]
    ]
    if reader in READERS and READERS[reader].measures:
        known = READERS[reader].measures
        for i, measure in enumerate(body["measures"]):
            if measure["name"] not in known:
                problems.append(
                    FieldError(
                        f"/measures/{i}/name", f"the {reader} reader's measures are {', '.join(known)}"
                    )
                )
            if "column" in measure:
                problems.append(FieldError(f"/measures/{i}/column", f"the {reader} reader knows its columns"))
    return problems


def _columns(reader: str, kind: str, columns: Mapping[str, str] | None) -> list[FieldError]:
    if reader != GENERIC:
        return [FieldError("/columns", "only the generic reader takes a column mapping")] if columns else []
    if not columns:
        return [FieldError("/columns", "the generic reader needs a column mapping")]
    problems = []
    if not ("date" in columns or ("year" in columns and "month" in columns)):
        problems.append(FieldError("/columns", "name a date column, or year and month"))
    if kind == POINT and not ("lat" in columns and "lon" in columns):
        problems.append(FieldError("/columns", "a point geography needs lat and lon columns"))
    if kind != POINT and "zone" not in columns:
        problems.append(FieldError("/columns/zone", f"name the column with the {kind}'s code"))
    return problems


def _replaced(body: Mapping[str, Any], datasets: Datasets) -> str | None:
    old_id = body.get("replaces")
    if old_id is None:
        return None
    old = datasets.get(old_id)
    if old is None:
        raise Unprocessable(
            f"dataset {old_id} does not exist", errors=[FieldError("/replaces", "no such dataset")]
        )
    if old["source"] != body["source"]:
        raise Unprocessable(
            f"dataset {old_id} is of {old['source']}, not {body['source']}",
            errors=[FieldError("/replaces", "a version replaces a dataset of the same source")],
        )
    if old.get("replaced_by"):
        raise Unprocessable(
            f"dataset {old_id} is already replaced by {old['replaced_by']}",
            errors=[FieldError("/replaces", "already replaced: replace its newest version")],
        )
    return str(old_id)

"""A hand-made city for the indicator tests: two quadrants, three blocks, three alert types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from vigia import clock
from vigia.indicators.frame import BlockInfo, CityFrame, QuadrantInfo, Question, TypeInfo


def tiny_frame(time_zone: str = "America/Argentina/Mendoza", threshold: int = 5) -> CityFrame:
    return CityFrame(
        city_id="villa-test",
        name="Villa Test",
        time_zone=time_zone,
        locale="es-AR",
        population=10_000,
        small_cell_threshold=threshold,
        response_target_s=420,
        types={
            "robbery": TypeInfo(
                "robbery", False, "0401", "Robo", "Security", "Immediate", "Severe", "Observed"
            ),
            "medical_emergency": TypeInfo(
                "medical_emergency",
                False,
                None,
                "Emergencia médica",
                "Health",
                "Immediate",
                "Severe",
                "Observed",
            ),
            "domestic_violence": TypeInfo(
                "domestic_violence", True, "02011", "Violencia", "Security", "Immediate", "Severe", "Observed"
            ),
        },
        quadrants={
            "Q-1": QuadrantInfo("Q-1", 6_000, "Norte"),
            "Q-2": QuadrantInfo("Q-2", 4_000, "Sur"),
        },
        blocks={
            "B-1": BlockInfo(
                "B-1",
                "Q-1",
                3_000,
                "San Martín y Mitre",
                ((-32.90, -68.80), (-32.90, -68.79), (-32.91, -68.79)),
            ),
            "B-2": BlockInfo("B-2", "Q-1", 3_000, "Belgrano y Rivadavia"),
            "B-3": BlockInfo("B-3", "Q-2", 4_000, "Godoy y Tiburcio"),
        },
        questions={"safe_at_night": Question("safe_at_night", (1, 5))},
        feed_sender="observatorio@villa-test.example",
    )


def alert_item(
    n: int,
    type_: str,
    block: str | None,
    quadrant: str | None,
    created: datetime,
    *,
    dispatch_s: float | None = None,
    response_s: float | None = None,
    status: str = "resolved",
    silent: bool = False,
    stored_durations: bool = False,
) -> dict[str, Any]:
    """An Alerts item as the lifecycle leaves it: timestamps, and durations when `stored_durations`."""
    item: dict[str, Any] = {
        "pk": f"A{n:03d}",
        "sk": "ALERT",
        "type": type_,
        "silent": silent,
        "status": status,
        "created_at": clock.iso(created),
        "local_date": "filed-by-intake",
        "sender_id": f"resident-{n}",
        "note": "my neighbour Juan Pérez",
        "location": {"lat": -32.9, "lon": -68.8},
    }
    if block:
        item["block_id"] = block
    if quadrant:
        item["quadrant_id"] = quadrant
    if dispatch_s is not None:
        item["dispatched_at"] = clock.iso(created + timedelta(seconds=5))
        item["assigned_at"] = clock.iso(created + timedelta(seconds=dispatch_s))
    if response_s is not None:
        item["on_scene_at"] = clock.iso(created + timedelta(seconds=response_s))
    if status == "resolved":
        item["resolved_at"] = clock.iso(created + timedelta(hours=1))
    if status == "false_alarm":
        item["false_alarm_at"] = clock.iso(created + timedelta(hours=1))
    if status == "cancelled":
        item["cancelled_at"] = clock.iso(created + timedelta(seconds=30))
    if stored_durations:
        item["dispatch_time_s"] = dispatch_s
        item["response_time_s"] = response_s
        item["met_target"] = response_s is not None and response_s <= 420
    return item


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)

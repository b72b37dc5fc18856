"""The observatory's nightly indicators: a local day of alerts → rows per zone and type, exported."""

from vigia.indicators.days import DayWindow, day_window, days_between, parse_day, previous_local_day
from vigia.indicators.frame import CityFrame, TypeInfo, frame_from_pack
from vigia.indicators.table import ALL, COLUMNS, DayIndicators, Row, compute_day

__all__ = [
    "ALL",
    "COLUMNS",
    "CityFrame",
    "DayIndicators",
    "DayWindow",
    "Row",
    "TypeInfo",
    "compute_day",
    "day_window",
    "days_between",
    "frame_from_pack",
    "parse_day",
    "previous_local_day",
]

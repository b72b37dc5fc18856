"""A city's own configuration and geography (the city pack): loading, validation, lookups by location."""

from vigia.city.geo import LatLon, haversine_m
from vigia.city.pack import (
    AlertType,
    Block,
    CityPack,
    CityPackError,
    CitySettings,
    PoliceUnit,
    ProtocolStep,
    Quadrant,
    Siren,
    load_city_pack,
)

__all__ = [
    "AlertType",
    "Block",
    "CityPack",
    "CityPackError",
    "CitySettings",
    "LatLon",
    "PoliceUnit",
    "ProtocolStep",
    "Quadrant",
    "Siren",
    "haversine_m",
    "load_city_pack",
]

"""A city's stack parameters taken from its pack, so `CityTimeZone` is always the pack's `time_zone`.

`python -m infra.tools.city_parameters <city>` prints `CityId=<city> CityTimeZone=<zone>` for
`sam deploy --parameter-overrides` (`make deploy CITY=…`); the local stack completes its overrides with
`with_city_time_zone`. The schedules (weekly patrols, nightly indicators, watchdog) run in CityTimeZone,
while the functions read the pack's zone: the two must never differ (vigia.runtime refuses a mismatch).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

CITIES_DIR = Path(__file__).resolve().parents[1] / "cities"


class CityParameterError(ValueError):
    """No pack for the city, or parameters that contradict it."""


# How a city's SMS leave (the pack's `sms_channel`, the template's SmsChannel): docs/deploy.md section 8
SMS_CHANNELS = ("sns", "end_user_messaging")


def _pack_json(city: str, cities_dir: Path) -> tuple[Path, dict[str, object]]:
    """infra/cities/<city>/city.json read as JSON only (the loader checks the rest)."""
    path = cities_dir / city / "city.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        known = ", ".join(sorted(p.parent.name for p in cities_dir.glob("*/city.json"))) or "none"
        raise CityParameterError(
            f"no city pack for {city!r}: {path} does not exist (packs: {known})"
        ) from None
    except json.JSONDecodeError as error:
        raise CityParameterError(f"{path} is not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise CityParameterError(f"{path} is not a JSON object")
    return path, raw


def pack_time_zone(city: str, cities_dir: Path = CITIES_DIR) -> str:
    """The `time_zone` of infra/cities/<city>/city.json."""
    path, raw = _pack_json(city, cities_dir)
    zone = raw.get("time_zone")
    if not isinstance(zone, str) or not zone:
        raise CityParameterError(f"{path} has no time_zone")
    return zone


def pack_sms_channel(city: str, cities_dir: Path = CITIES_DIR) -> str | None:
    """The pack's `sms_channel`, or None when it does not say (the template's default, sns, then holds)."""
    path, raw = _pack_json(city, cities_dir)
    channel = raw.get("sms_channel")
    if channel is None:
        return None
    if channel not in SMS_CHANNELS:
        raise CityParameterError(f"{path}: sms_channel {channel!r} is not one of {', '.join(SMS_CHANNELS)}")
    return str(channel)


def city_parameters(city: str, cities_dir: Path = CITIES_DIR) -> dict[str, str]:
    """What `make deploy CITY=<city>` gives the template from the pack; DEPLOY_ARGS given after them win."""
    parameters = {"CityId": city, "CityTimeZone": pack_time_zone(city, cities_dir)}
    channel = pack_sms_channel(city, cities_dir)
    if channel is not None:
        parameters["SmsChannel"] = channel
    return parameters


def with_city_time_zone(overrides: Mapping[str, str], cities_dir: Path = CITIES_DIR) -> dict[str, str]:
    """`overrides` with CityTimeZone set from the pack of their CityId; a CityTimeZone given that is not the
    pack's is refused (it would run the schedules on another city's clock)."""
    result = dict(overrides)
    city = result.get("CityId")
    if not city:
        return result
    zone = pack_time_zone(city, cities_dir)
    given = result.setdefault("CityTimeZone", zone)
    if given != zone:
        raise CityParameterError(
            f"CityTimeZone={given} is not the time zone of the {city} city pack ({zone}): leave CityTimeZone "
            "out and it is taken from the pack"
        )
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m infra.tools.city_parameters <city>", file=sys.stderr)
        return 2
    try:
        parameters = city_parameters(args[0])
    except CityParameterError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(" ".join(f"{key}={value}" for key, value in parameters.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

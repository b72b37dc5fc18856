"""`make indicators`: computes the indicators of past local days on the running local stack.

    make indicators                          # yesterday in the city's time zone
    make indicators DATE=2026-03-10          # one day
    make indicators FROM=2026-03-01 TO=2026-03-10

It invokes the template's NightlyIndicatorsFunction against the stack `make run` started (found through
.local/outputs.json, or VIGIA_LOCAL_DIR): the same code the 03:00 schedule runs, writing the same
IndicatorsTable rows and the same files under s3://<ExportsBucket>/indicators/<city>/<date>/. A day
computed twice gives the same files, byte for byte. stdout is the table (or the answer with --json); the
function's JSON logs and metrics go to .local/logs/indicators.jsonl, named in a line on stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

FUNCTION = "NightlyIndicatorsFunction"


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def event_for(args: argparse.Namespace, time_zone: str) -> dict[str, Any]:
    if args.date and (args.first or args.last):
        raise SystemExit("give DATE, or FROM and TO, not both")
    if args.date:
        return {"date": args.date, "source": "make indicators"}
    if args.first or args.last:
        if not (args.first and args.last):
            raise SystemExit("FROM and TO go together")
        if args.first > args.last:
            raise SystemExit(f"FROM ({args.first}) is after TO ({args.last})")
        return {"from": args.first, "to": args.last, "source": "make indicators"}
    yesterday = datetime.now(UTC).astimezone(ZoneInfo(time_zone)).date() - timedelta(days=1)
    return {"date": yesterday.isoformat(), "source": "make indicators"}


def stack_time_zone(outputs: dict[str, Any]) -> str:
    """The running stack's city's zone ("yesterday" is the city's): its CityTimeZone, else its pack's."""
    from infra.tools.city_parameters import pack_time_zone

    parameters = outputs.get("Parameters") or {}
    city = str(parameters.get("CityId") or outputs["City"])
    return str(parameters.get("CityTimeZone") or pack_time_zone(city))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make indicators", description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=_day, help="one local day, YYYY-MM-DD")
    parser.add_argument("--from", dest="first", type=_day, help="first day of a range")
    parser.add_argument("--to", dest="last", type=_day, help="last day of a range")
    parser.add_argument("--json", action="store_true", help="print the function's answer as JSON")
    args = parser.parse_args(argv)

    from infra.local.run import invoke_function
    from infra.local.stack import AttachedStack, StackConfig
    from infra.tools.log_file import logs_to

    local_dir = StackConfig.from_env().local_dir
    try:
        attached = AttachedStack(local_dir)
    except FileNotFoundError as error:
        print(f"{error}", file=sys.stderr)
        return 1
    parameters = attached.outputs.get("Parameters") or {}
    event = event_for(args, stack_time_zone(attached.outputs))
    # The function's own output (Powertools logs and metrics) goes to a file; stdout is the answer alone.
    with logs_to(local_dir / "logs" / "indicators.jsonl") as routed:
        result = invoke_function(FUNCTION, event)
    where = f"{FUNCTION}: {routed.lines} log lines in {routed.path}"
    print(where, file=sys.stderr)  # stdout stays the table (or the JSON answer) alone, for a script to read
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    bucket = (attached.outputs.get("Resources") or {}).get("ExportsBucket", "<ExportsBucket>")
    city = str(parameters.get("CityId") or attached.outputs.get("City") or "")
    print(f"{'date':<12}{'alerts':>8}{'items read':>12}{'rows':>7}  files")
    for day in result.get("computed", []):
        files = f"s3://{bucket}/indicators/{city}/{day['date']}/"
        print(f"{day['date']:<12}{day['alerts']:>8}{day['items_read']:>12}{day['rows']:>7}  {files}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make backfill-lake FROM=YYYY-MM-DD TO=YYYY-MM-DD`: writes the lake partitions of past local days on the
running local stack.

It invokes the template's LakeExportFunction (the code the 04:00 schedule runs) against the stack `make run`
started, in runs of at most 366 days, each day's partitions rewritten whole: a day backfilled twice gives the
same files. A day whose indicators were never computed gets every table but `indicators`; `make indicators
FROM= TO=` first, then backfill again. In the cloud: invoke LakeExportFunction with {"from": …, "to": …}
(docs/observatory.md "The lake").
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from typing import Any

FUNCTION = "LakeExportFunction"
MOST_DAYS = 366  # one invocation (vigia.handlers.lake_export.MAX_DAYS)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date as YYYY-MM-DD") from None


def runs(first: date, last: date, most: int = MOST_DAYS) -> list[dict[str, Any]]:
    """The invocations that cover first..last, each at most `most` days, oldest first."""
    if first > last:
        raise SystemExit(f"FROM ({first}) is after TO ({last})")
    events = []
    start = first
    while start <= last:
        end = min(last, start + timedelta(days=most - 1))
        events.append({"from": start.isoformat(), "to": end.isoformat()})
        start = end + timedelta(days=1)
    return events


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make backfill-lake", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", type=_day, required=True, help="first local day")
    parser.add_argument("--to", dest="last", type=_day, required=True, help="last local day")
    parser.add_argument("--json", action="store_true", help="print the function's answers as JSON")
    args = parser.parse_args(argv)

    from infra.local.run import invoke_function
    from infra.local.stack import AttachedStack, StackConfig
    from infra.tools.log_file import logs_to

    local_dir = StackConfig.from_env().local_dir
    try:
        AttachedStack(local_dir)
    except FileNotFoundError as error:
        print(f"{error}", file=sys.stderr)
        return 1
    exported: list[dict[str, Any]] = []
    with logs_to(local_dir / "logs" / "lake.jsonl") as routed:
        for event in runs(args.first, args.last):
            exported += invoke_function(FUNCTION, event).get("exported", [])
    print(f"{FUNCTION}: {routed.lines} log lines in {routed.path}", file=sys.stderr)
    if args.json:
        print(json.dumps(exported, indent=2))
        return 0
    print(f"{'date':<12}{'alerts':>8}{'incidents':>11}{'patrol':>8}{'surveys':>9}{'indicators':>12}")
    for day in exported:
        rows = day["rows"]
        indicators = str(rows.get("indicators", 0)) if day["indicators_computed"] else "not computed"
        print(
            f"{day['date']:<12}{rows['alerts']:>8}{rows['incidents']:>11}{rows['patrol_dosage']:>8}"
            f"{rows['surveys']:>9}{indicators:>12}"
        )
    print("query them with: make sql", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

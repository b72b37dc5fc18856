"""`make redrive`: moves dead letters back to their queue, on the local stack or a deployed city's stack.

    make redrive                       # every DLQ of the running local stack (.local/outputs.json)
    make redrive QUEUE=sms             # one queue: dispatch, sms, siren, webhook, silent or federation
    make redrive CLOUD=1 CITY=godoy-cruz   # the deployed stack, with your AWS credentials

Each message goes back to the queue it came from; its sender finds the delivery record and sends it
if (and only if) it is not sent yet, so a redrive never sends anything twice. stdout is the count per
queue; what the adapters log goes to .local/logs/redrive.jsonl, named in a line on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _point_at_local_stack(local_dir: Path) -> str:
    outputs_path = local_dir / "outputs.json"
    if not outputs_path.exists():
        raise SystemExit(f"no running local stack: {outputs_path} is missing (start one with `make run`)")
    outputs = json.loads(outputs_path.read_text())
    os.environ.update({
        "AWS_ENDPOINT_URL": outputs["AwsEndpointUrl"],
        "AWS_REGION": outputs["Region"],
        "AWS_DEFAULT_REGION": outputs["Region"],
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
    })  # fmt: skip
    # the seeded city, else the stack's CityId (a stack whose seed failed still has its queues)
    return str(outputs.get("City") or (outputs.get("Parameters") or {})["CityId"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make redrive", description=__doc__.splitlines()[0])
    from vigia.adapters.task_queues import QUEUES

    parser.add_argument("queue", nargs="?", default="all", choices=[*QUEUES, "all"])
    parser.add_argument("--city", help="city id (the stack's queues are named vigia-<city>-<queue>)")
    parser.add_argument("--cloud", action="store_true", help="the deployed stack, not the local one")
    parser.add_argument(
        "--local-dir", type=Path, default=Path(os.environ.get("VIGIA_LOCAL_DIR") or ROOT / ".local")
    )
    args = parser.parse_args(argv)
    if args.cloud and not args.city:  # never another city's queues by default (one account may hold several)
        parser.error("--cloud needs --city: which deployed city's queues (make redrive CLOUD=1 CITY=<city>)")

    city = args.city if args.cloud else _point_at_local_stack(args.local_dir)
    from vigia import runtime
    from vigia.adapters import aws, task_queues

    os.environ["CITY_ID"] = city
    runtime.reset()
    sqs = aws.client("sqs")
    for queue in QUEUES:
        url = sqs.get_queue_url(QueueName=f"vigia-{city}-{queue}")["QueueUrl"]
        os.environ[f"{queue.upper()}_QUEUE_URL"] = url
    runtime.reset()
    from infra.tools.log_file import logs_to

    total = 0
    with logs_to(args.local_dir / "logs" / "redrive.jsonl") as routed:
        for queue in QUEUES if args.queue == "all" else (args.queue,):
            moved = task_queues.redrive(queue)
            total += moved
            print(f"{queue:9} {moved} message(s) moved back from its DLQ")
        print(f"{total} in all")
    print(f"{routed.lines} log lines in {routed.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

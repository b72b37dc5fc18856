"""Loads a city pack's geography (blocks, quadrants, sirens) into a deployed stack's Geography table.

Usage: python -m infra.tools.seed --city <city> [--stack vigia-<city>] [--region us-east-1]
Reads the table names from the CloudFormation stack's outputs; uses your normal AWS credentials.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", required=True)
    parser.add_argument("--stack")
    parser.add_argument("--region", default=os.environ.get("AWS_REGION", "us-east-1"))
    args = parser.parse_args()
    import boto3

    stack = args.stack or f"vigia-{args.city}"
    described = boto3.client("cloudformation", region_name=args.region).describe_stacks(StackName=stack)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Stacks"][0].get("Outputs", [])}
    os.environ.update(
        {
            "CITY_ID": args.city,
            "CITY_PACK_DIR": str(ROOT / "infra" / "cities" / args.city),
            "SCHEMAS_DIR": str(ROOT / "schemas"),
            "GEOGRAPHY_TABLE": outputs["GeographyTableName"],
            "RESIDENTS_TABLE": outputs["ResidentsTableName"],
            "AWS_REGION": args.region,
        }
    )
    from infra.local.seed import load_geography

    print(f"wrote {load_geography()} geography items to {outputs['GeographyTableName']}")


if __name__ == "__main__":
    main()

"""`make token ROLE=…`: prints an ID token of the running local stack's demo user of that role.

    TOKEN=$(make -s token ROLE=citizen)    # citizen, operator, police, response_team, analyst or admin

The demo users and their password are in .local/outputs.json (infra/local/seed.py makes one per role);
the token comes from the stack's Cognito emulator as the app gets it (USER_PASSWORD_AUTH), valid an hour.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from infra.tools import stack_outputs

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make token", description=__doc__.splitlines()[0])
    parser.add_argument("role", nargs="?", default="citizen")
    parser.add_argument(
        "--local-dir", type=Path, default=Path(os.environ.get("VIGIA_LOCAL_DIR") or ROOT / ".local")
    )
    args = parser.parse_args(argv)
    outputs = stack_outputs.local(args.local_dir)
    users = outputs.get("DemoUsers") or {}
    if args.role not in users:
        known = ", ".join(sorted(users)) or f"none ({outputs.get('SeedError') or 'the stack is not seeded'})"
        parser.error(f"no demo user for ROLE={args.role}; the local stack has: {known}")
    import boto3

    answer = boto3.client("cognito-idp").initiate_auth(
        ClientId=str(outputs["UserPoolClientId"]),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": users[args.role]["username"], "PASSWORD": users[args.role]["password"]},
    )
    print(answer["AuthenticationResult"]["IdToken"])
    return 0


if __name__ == "__main__":
    sys.exit(main())

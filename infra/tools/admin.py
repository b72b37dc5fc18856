"""`make admin EMAIL=…`: the first admin of the running local stack, or of a deployed city's stack.

    make admin EMAIL=ana@ciudad.gob.ar                          # the local stack (.local/outputs.json)
    make admin EMAIL=ana@ciudad.gob.ar CLOUD=1 CITY=godoy-cruz  # a deployed stack; your AWS credentials

The username is the e-mail in lower case (as every account of the pool). A new user gets a temporary
password: locally it is printed once; in the cloud Cognito e-mails it and nothing is printed. The first
sign-in asks for a new password. Run again, it creates nobody: an existing user is only added to `admin`;
a resident's account (in `citizen`, or registered and not yet approved) is refused, never made staff.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.tools import stack_outputs
from vigia.identity.staff import temporary_password  # the same draw as the admins' staff route

ROOT = Path(__file__).resolve().parents[2]
ADMIN_GROUP = "admin"
# The shape of an e-mail the pool can send to: one @, a dot in the domain, no spaces.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Admin:
    username: str
    created: bool
    temporary_password: str | None  # only when created here and not e-mailed by Cognito


def ensure_admin(idp: Any, pool_id: str, email: str, *, email_it: bool) -> Admin:
    """Creates the user if the pool has none by that e-mail, then puts them in `admin` (idempotent)."""
    username = email.strip().lower()
    if not EMAIL.fullmatch(username):
        raise ValueError(f"{email!r} is not an e-mail address")
    password = None if email_it else temporary_password()
    request: dict[str, Any] = {
        "UserPoolId": pool_id,
        "Username": username,
        "UserAttributes": [{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
    }
    if email_it:
        request["DesiredDeliveryMediums"] = ["EMAIL"]  # Cognito draws the password and sends it
    else:
        request.update(TemporaryPassword=password, MessageAction="SUPPRESS")
    try:
        idp.admin_create_user(**request)
        created = True
    except idp.exceptions.UsernameExistsException:
        created, password = False, None
        if _is_resident(idp, pool_id, username):
            raise ValueError(
                f"{username} is a resident's account: staff need an account of their own"
            ) from None
    idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=ADMIN_GROUP)
    return Admin(username, created, password)


def _is_resident(idp: Any, pool_id: str, username: str) -> bool:
    """A resident's account: in `citizen`, or registered (a phone) and not approved yet (no staff group)."""
    groups = {
        g["GroupName"]
        for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=username, Limit=60)["Groups"]
    }
    if "citizen" in groups:
        return True
    user = idp.admin_get_user(UserPoolId=pool_id, Username=username)
    has_phone = any(a["Name"] == "phone_number" for a in user.get("UserAttributes", []))
    return has_phone and not groups & {"operator", "police", "response_team", "analyst", "admin"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make admin", description=__doc__.splitlines()[0])
    parser.add_argument("email", help="the admin's e-mail (their username)")
    parser.add_argument("--cloud", action="store_true", help="the deployed stack, not the local one")
    parser.add_argument("--city", help="the deployed city (its stack is vigia-<city>)")
    parser.add_argument("--region", default=None, help="the deployed stack's region (default: yours)")
    parser.add_argument(
        "--local-dir", type=Path, default=Path(os.environ.get("VIGIA_LOCAL_DIR") or ROOT / ".local")
    )
    args = parser.parse_args(argv)
    if not args.email.strip():
        parser.error("EMAIL=… is required: make admin EMAIL=ana@ciudad.gob.ar")
    if args.cloud and not args.city:
        parser.error("a deployed stack needs its city: make admin CLOUD=1 CITY=<city> EMAIL=…")

    import boto3

    if args.cloud:
        session = boto3.session.Session(region_name=args.region)
        outputs = stack_outputs.cloud(args.city, session=session)
        idp = session.client("cognito-idp")
    else:
        outputs = stack_outputs.local(args.local_dir)
        idp = boto3.client("cognito-idp")  # the emulator: stack_outputs.local set its endpoint
    pool = str(outputs["UserPoolId"])
    try:
        admin = ensure_admin(idp, pool, args.email, email_it=args.cloud)
    except ValueError as error:
        parser.error(str(error))
    if not admin.created:
        print(f"{admin.username} already exists in {pool}: added to {ADMIN_GROUP} (nobody created)")
    elif admin.temporary_password:
        print(f"{admin.username} created in {pool} and added to {ADMIN_GROUP}")
        print(
            f"temporary password (shown once; the first sign-in sets a new one): {admin.temporary_password}"
        )
    else:
        print(f"{admin.username} created in {pool} and added to {ADMIN_GROUP}")
        print("Cognito has e-mailed the temporary password; the first sign-in asks for a new one")
    return 0


if __name__ == "__main__":
    sys.exit(main())

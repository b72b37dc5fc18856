"""`make cad-key CAD=<id>`: prints the HMAC key one CAD checks Vigía's signatures with, for its IT team.

    make cad-key                           # the provincial CAD's key (the stack's CadSecret as it is)
    make cad-key CAD=pdi                   # another CAD of the pack (dispatch.other_cads.pdi): its own key
    make cad-key CAD=pdi CLOUD=1 CITY=penalolen   # of the deployed stack, with your AWS credentials

Every CAD besides the provincial one gets HMAC-SHA256(CadSecret, "cad:" + its id) as its key
(vigia.dispatch.signing.cad_key), so the key handed to one agency cannot sign for another. stdout is the
key alone (pipe it; don't paste it into chat or e-mail); an id the pack does not name is refused.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROVINCIAL = "provincial"


def _stack(args: argparse.Namespace) -> tuple[str, str, Any]:
    """(city id, CadSecret's ARN, a Secrets Manager client) of the local or the deployed stack."""
    import boto3

    from infra.tools import stack_outputs

    if not args.cloud:
        outputs = stack_outputs.local(args.local_dir)  # points boto3 at the local emulator
        city = str(outputs.get("City") or outputs["Parameters"]["CityId"])
        return city, str(outputs["Resources"]["CadSecret"]), boto3.client("secretsmanager")
    session = boto3.session.Session()
    resource = session.client("cloudformation").describe_stack_resource(
        StackName=stack_outputs.stack_name(args.city), LogicalResourceId="CadSecret"
    )
    arn = str(resource["StackResourceDetail"]["PhysicalResourceId"])
    return args.city, arn, session.client("secretsmanager")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make cad-key", description=__doc__.splitlines()[0])
    parser.add_argument("cad", nargs="?", default=PROVINCIAL, help="a dispatch.other_cads id, or provincial")
    parser.add_argument("--city", help="the deployed city (with --cloud); locally, the running stack's")
    parser.add_argument("--cloud", action="store_true", help="the deployed stack, not the local one")
    parser.add_argument(
        "--local-dir", type=Path, default=Path(os.environ.get("VIGIA_LOCAL_DIR") or ROOT / ".local")
    )
    args = parser.parse_args(argv)
    if args.cloud and not args.city:
        parser.error(
            "--cloud needs --city: which deployed city's CadSecret (make cad-key CLOUD=1 CITY=<city>)"
        )
    from vigia.city import load_city_pack
    from vigia.dispatch.signing import cad_key

    city, arn, secrets = _stack(args)
    pack = load_city_pack(ROOT / "infra" / "cities" / city, ROOT / "schemas" / "city.schema.json")
    cad_id = None if args.cad == PROVINCIAL else args.cad
    if cad_id is not None and cad_id not in pack.dispatch.other_cads:
        known = ", ".join([PROVINCIAL, *pack.dispatch.other_cads])
        parser.error(f"{city} names no CAD {cad_id!r} (its CADs: {known})")
    print(cad_key(str(secrets.get_secret_value(SecretId=arn)["SecretString"]), cad_id))
    return 0


if __name__ == "__main__":
    sys.exit(main())

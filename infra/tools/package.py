"""Builds the Lambda zip for linux arm64 without Docker: `pip --platform` wheels + code + schemas + city pack.

Usage: python -m infra.tools.package --city godoy-cruz [--out .build/vigia.zip] [--skip-deps]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels (numpy 2.3+) fit too.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
LAMBDA_PYTHON = "3.12"


def install_dependencies(target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *[arg for platform in PLATFORMS for arg in ("--platform", platform)],
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON,
            "--only-binary=:all:",
            "--target",
            str(target),
            "-r",
            str(ROOT / "requirements.txt"),
        ],
        check=True,
    )


def assemble(city: str, staging: Path, skip_deps: bool = False) -> None:
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    if not skip_deps:
        install_dependencies(staging)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "functions" / "vigia", staging / "vigia", ignore=ignore)
    shutil.copytree(ROOT / "schemas", staging / "schemas", ignore=ignore)
    pack = ROOT / "infra" / "cities" / city
    if not pack.is_dir():
        raise SystemExit(f"no city pack at {pack}")
    shutil.copytree(pack, staging / "city", ignore=ignore)


def write_zip(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(staging.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(staging)), date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--city", default="godoy-cruz")
    parser.add_argument("--out", default=str(ROOT / ".build" / "vigia.zip"))
    parser.add_argument("--skip-deps", action="store_true", help="code, schemas and city pack only")
    args = parser.parse_args()
    staging = ROOT / ".build" / "staging"
    assemble(args.city, staging, args.skip_deps)
    write_zip(staging, Path(args.out))
    size_mb = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size_mb:.1f} MB) for {args.city}, linux arm64, python {LAMBDA_PYTHON}")


if __name__ == "__main__":
    main()

"""Builds the Lambda zip for linux arm64 without Docker: `pip --platform` wheels + code + schemas + city pack.

Usage: python -m infra.tools.package --city godoy-cruz [--lake] [--out .build/vigia.zip] [--skip-deps]

--lake builds the lake functions' zip (.build/lake.zip): the same plus pyarrow and openpyxl (LAKE_SHIPPED),
which no other function's zip carries.

Only what runs ships: `left_out()` names each file a Lambda never opens (console scripts, headers, static
libraries, the dependencies' own tests, the AWS SDK the Lambda runtime already has, phonenumbers' geocoder
data, numpy submodules Vigía never imports) and the build fails if what is left weighs
more than LIMIT_UNZIPPED_MB unzipped.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[2]
# Lambda python3.12 runs on Amazon Linux 2023 (glibc 2.34): manylinux_2_28 wheels (numpy 2.3+) fit too.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
LAMBDA_PYTHON = "3.12"
# Lambda allows 250 MB unzipped; a lean zip starts faster (less to fetch and unpack).
LIMIT_UNZIPPED_MB = 60.0

# Lambda's python3.12 runtime carries the AWS SDK and its dependencies (/var/runtime); shipping them again
# costs about 25 MB unzipped (botocore's service models alone 21 MB). Tests and the local stack run the
# pinned versions from requirements.txt; Lambda runs its own, which AWS keeps current.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
_RUNTIME_DIST_INFO = re.compile(
    r"(boto3|botocore|s3transfer|jmespath|python_dateutil|six|urllib3)-[^/]*\.dist-info"
)

_BUILD_ONLY_SUFFIXES = (".h", ".hpp", ".a", ".pyi", ".pyx", ".pxd", ".pxi", ".c", ".cpp", ".pyc")
# numpy's test-only extension modules and its Fortran wrapper generator (needs a compiler; never imported)
_NUMPY_TEST_MODULE = re.compile(r"numpy/_core/(_\w+_tests|_simd|_multiarray_tests)\.[^/]*\.so")
_NOT_RUN = (
    ("numpy/f2py/", "numpy's f2py (a build tool)"),
    ("numpy/_pyinstaller/", "numpy's PyInstaller hooks"),
    ("numpy/doc/", "numpy's docs"),
    # numpy imports these lazily, on first use; Vigía's code uses none of them (a unit test checks both)
    ("numpy/random/", "numpy submodules Vigía never imports"),
    ("numpy/fft/", "numpy submodules Vigía never imports"),
    ("numpy/polynomial/", "numpy submodules Vigía never imports"),
    ("numpy/ma/", "numpy submodules Vigía never imports"),
    # geocoder, carrier and timezone lookups; Vigía only parses, validates and formats numbers
    ("phonenumbers/geodata/", "phonenumbers' geocoder data"),
    ("phonenumbers/carrierdata/", "phonenumbers' carrier data"),
    ("phonenumbers/tzdata/", "phonenumbers' time-zone data"),
    # the API docs page Powertools can serve; Vigía publishes its OpenAPI document itself
    ("aws_lambda_powertools/event_handler/openapi/swagger_ui/", "Powertools' Swagger UI"),
    # the lake's zip: Arrow Flight (RPC) is never loaded by writing Parquet (tests/unit/test_lake_catalog.py)
    ("pyarrow/libarrow_flight.", "pyarrow's Flight RPC, which the lake never loads"),
    ("pyarrow/libarrow_python_flight.", "pyarrow's Flight RPC, which the lake never loads"),
    ("pyarrow/_flight.", "pyarrow's Flight RPC, which the lake never loads"),
    ("pyarrow/src/", "pyarrow's C++ sources"),
)


def left_out(path: str) -> str | None:
    """Why the file at `path` (relative to the zip's root, '/'-separated) stays out of the zip, or None."""
    parts = PurePosixPath(path).parts
    if not parts:
        return None
    if parts[0] in ("vigia", "schemas", "city"):
        return "bytecode" if parts[-1].endswith(".pyc") or "__pycache__" in parts else None
    if PurePosixPath(parts[0]).stem in RUNTIME_PROVIDED or _RUNTIME_DIST_INFO.fullmatch(parts[0]):
        return "the AWS SDK Lambda's runtime provides (boto3, botocore and their dependencies)"
    if parts[0] == "bin":
        return "console scripts (bin/)"
    if "__pycache__" in parts or path.endswith(".pyc"):
        return "bytecode compiled for the build machine's Python"
    if "include" in parts[:-1] or path.endswith((".h", ".hpp")):
        return "C headers"
    if path.endswith(".a"):
        return "static libraries"
    if any(part in ("tests", "test") for part in parts[1:-1]):
        return "the dependencies' tests"
    if path.endswith(_BUILD_ONLY_SUFFIXES):
        return "type stubs and C/Cython sources"
    if _NUMPY_TEST_MODULE.fullmatch(path):
        return "the dependencies' tests"
    for prefix, reason in _NOT_RUN:
        if path.startswith(prefix):
            return reason
    return None


@dataclass
class Plan:
    """What the zip takes and what it leaves out, in bytes."""

    kept: dict[str, int] = field(default_factory=dict)
    left_out: Counter[str] = field(default_factory=Counter)

    @property
    def unzipped_bytes(self) -> int:
        return sum(self.kept.values())


def plan(files: Mapping[str, int]) -> Plan:
    """Sorts files (zip path → size in bytes) into kept and left out (bytes by reason)."""
    result = Plan()
    for path, size in sorted(files.items()):
        reason = left_out(path)
        if reason is None:
            result.kept[path] = size
        else:
            result.left_out[reason] += size
    return result


def over_limit(unzipped_bytes: int, limit_mb: float = LIMIT_UNZIPPED_MB) -> str | None:
    """The refusal to print when the zip's content weighs more than `limit_mb` unzipped, or None."""
    if unzipped_bytes <= limit_mb * 1e6:
        return None
    return (
        f"the Lambda zip would hold {unzipped_bytes / 1e6:.1f} MB unzipped, "
        f"over the {limit_mb:.0f} MB limit: "
        "leave out what does not run (infra/tools/package.py left_out) or drop a dependency"
    )


# The lake's functions (LakeExportFunction, the datasets' ingestion; CodeUri .build/lake.zip) carry these
# pins of requirements-lake.txt besides requirements.txt; every other function's zip carries neither, nor
# duckdb (local only: `make sql`).
LAKE_SHIPPED = ("pyarrow", "openpyxl", "et-xmlfile")  # openpyxl (pure Python): the datasets' XLSX reader
# Lambda allows 250 MB unzipped; pyarrow's shared libraries are most of the lake's zip.
LAKE_LIMIT_UNZIPPED_MB = 200.0


def lake_requirements(text: str) -> list[str]:
    """The pins of requirements-lake.txt the lake's zip ships (LAKE_SHIPPED), as pip reads them."""
    pins = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        name = re.split(r"[=<>!~\[; ]", line, maxsplit=1)[0].lower()
        if line and name in LAKE_SHIPPED:
            pins.append(line)
    return pins


def requirement_args(lake: bool) -> list[str]:
    """pip's arguments naming what a zip ships: requirements.txt, plus the lake's pins for the lake's zip."""
    args = ["-r", str(ROOT / "requirements.txt")]
    if lake:
        args += lake_requirements((ROOT / "requirements-lake.txt").read_text())
    return args


def install_dependencies(target: Path, lake: bool = False) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",  # bytecode for this machine's Python is useless on Lambda's
            *[arg for platform in PLATFORMS for arg in ("--platform", platform)],
            "--implementation",
            "cp",
            "--python-version",
            LAMBDA_PYTHON,
            "--only-binary=:all:",
            "--target",
            str(target),
            *requirement_args(lake),
        ],
        check=True,
    )


def assemble(city: str, staging: Path, skip_deps: bool = False, lake: bool = False) -> None:
    pack = ROOT / "infra" / "cities" / city
    if not pack.is_dir():
        raise SystemExit(f"no city pack at {pack}")
    check_pack(pack)  # before the slow part: a pack that cannot run is refused at once
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    if not skip_deps:
        install_dependencies(staging, lake)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "functions" / "vigia", staging / "vigia", ignore=ignore)
    shutil.copytree(ROOT / "schemas", staging / "schemas", ignore=ignore)
    shutil.copytree(pack, staging / "city", ignore=ignore)


def check_pack(pack: Path) -> None:
    """A pack the loader refuses (a `TODO:` decision left, a rule broken) is never packaged, so never
    deployed: every function would refuse it at its first cold start."""
    from vigia.city import CityPackError, load_city_pack

    try:
        load_city_pack(pack, ROOT / "schemas" / "city.schema.json")
    except CityPackError as error:
        raise SystemExit(f"not packaging the {pack.name} city pack: {error}") from None


_SHARED_LIBRARY = re.compile(r"\.so(\.\d+)*$")


def strip_shared_libraries(staging: Path) -> str | None:
    """Drops the symbol tables of the dependencies' shared libraries (the dynamic symbols stay, as
    serverless-python-requirements' `slim` does); returns the strip tool used, or None if there is none that
    reads arm64 ELF files (GNU strip on an x86 machine does not)."""
    tool = shutil.which("llvm-strip") or shutil.which("aarch64-linux-gnu-strip")
    if tool is None:
        return None
    libraries = [
        str(path)
        for path in staging.rglob("*.so*")
        if path.is_file()
        and _SHARED_LIBRARY.search(path.name)  # not pyarrow's test data "v0.7.1.some-named-index.parquet"
        and path.relative_to(staging).parts[0] not in ("vigia", "schemas", "city")
    ]
    if libraries:
        subprocess.run([tool, "--strip-unneeded", *libraries], check=True)
    return Path(tool).name


def files_under(staging: Path) -> dict[str, int]:
    return {
        path.relative_to(staging).as_posix(): path.stat().st_size
        for path in staging.rglob("*")
        if path.is_file()
    }


def write_zip(staging: Path, paths: Iterable[str], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(paths):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            # shared libraries keep their execute bit; everything else is read-only data to Lambda
            mode = 0o755 if ".so" in PurePosixPath(name).suffixes else 0o644
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, (staging / name).read_bytes())


def build(
    city: str,
    out: Path,
    skip_deps: bool = False,
    limit_mb: float = LIMIT_UNZIPPED_MB,
    staging: Path = ROOT / ".build" / "staging",
    lake: bool = False,
) -> tuple[Plan, str | None]:
    """Assembles, strips, sorts and zips; raises SystemExit (and writes no zip) past `limit_mb` unzipped.
    Returns the plan and the strip tool used (None: none found)."""
    assemble(city, staging, skip_deps, lake)
    stripped_with = strip_shared_libraries(staging)
    chosen = plan(files_under(staging))
    refusal = over_limit(chosen.unzipped_bytes, limit_mb)
    if refusal and stripped_with is None:
        refusal += " (installing llvm for llvm-strip takes about 6 MB off the shared libraries)"
    if refusal:
        out.unlink(missing_ok=True)
        raise SystemExit(refusal)
    write_zip(staging, chosen.kept, out)
    return chosen, stripped_with


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", default="godoy-cruz")
    parser.add_argument(
        "--lake", action="store_true", help="the lake functions' zip (.build/lake.zip): + pyarrow"
    )
    parser.add_argument("--out", default="", help="the zip (default .build/vigia.zip, or .build/lake.zip)")
    parser.add_argument("--skip-deps", action="store_true", help="code, schemas and city pack only")
    parser.add_argument("--staging", default="", help="where to assemble (default .build/staging[-lake])")
    args = parser.parse_args(argv)
    out = Path(args.out or ROOT / ".build" / ("lake.zip" if args.lake else "vigia.zip"))
    staging = Path(args.staging or ROOT / ".build" / ("staging-lake" if args.lake else "staging"))
    limit = LAKE_LIMIT_UNZIPPED_MB if args.lake else LIMIT_UNZIPPED_MB
    chosen, stripped_with = build(args.city, out, args.skip_deps, limit, staging=staging, lake=args.lake)
    zipped_mb = out.stat().st_size / 1e6
    print(f"wrote {out} for {args.city}, linux arm64, python {LAMBDA_PYTHON}")
    print(
        f"size: {zipped_mb:.1f} MB zipped, {chosen.unzipped_bytes / 1e6:.1f} MB unzipped "
        f"(limit {limit:.0f} MB unzipped), {len(chosen.kept)} files"
    )
    print(f"left out {sum(chosen.left_out.values()) / 1e6:.1f} MB that never runs:")
    for reason, size in chosen.left_out.most_common():
        print(f"  {size / 1e6:7.1f} MB  {reason}")
    if stripped_with:
        print(f"shared libraries stripped of their symbol tables with {stripped_with}")
    else:
        print("no llvm-strip or aarch64-linux-gnu-strip found: shared libraries keep their symbol tables")


if __name__ == "__main__":
    main()

"""The Lambda zip ships only what runs and stays under its unzipped limit (infra/tools/package.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.tools import package

ROOT = Path(__file__).resolve().parents[2]

# A synthetic staging tree: every kind of file `pip install --target` leaves, with its size in bytes.
SYNTHETIC = {
    "bin/f2py": 300,
    "bin/jsonschema": 200,
    "lib64/libh3.a": 293_528,
    "numpy/_core/include/numpy/ndarrayobject.h": 10_000,
    "cffi/parse_c_type.h": 5_000,
    "numpy/_core/lib/libnpymath.a": 90_000,
    "numpy/_core/tests/test_multiarray.py": 420_000,
    "jsonschema/tests/test_validators.py": 80_000,
    "numpy/_core/_simd.cpython-312-aarch64-linux-gnu.so": 534_000,
    "numpy/_core/_umath_tests.cpython-312-aarch64-linux-gnu.so": 207_000,
    "numpy/__init__.pyi": 236_000,
    "numpy/f2py/crackfortran.py": 150_000,
    "numpy/random/mtrand.cpython-312-aarch64-linux-gnu.so": 700_000,
    "phonenumbers/__pycache__/util.cpython-311.pyc": 4_000,
    "phonenumbers/geodata/data15.py": 924_000,
    "phonenumbers/carrierdata/data0.py": 500_000,
    "botocore/data/ec2/2016-11-15/service-2.json.gz": 500_000,
    "botocore/endpoint.py": 20_000,
    "boto3/session.py": 20_000,
    "botocore-1.44.8.dist-info/RECORD": 250_000,
    # what runs
    "numpy/__init__.py": 25_000,
    "numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so": 5_300_000,
    "numpy/linalg/_linalg.py": 110_000,
    "numpy/testing/__init__.py": 1_000,
    "numpy/testing/tests/test_utils.py": 70_000,
    "numpy.libs/libscipy_openblas64_-7220728c.so": 26_300_000,
    "numpy-2.4.6.dist-info/METADATA": 9_000,
    "phonenumbers/phonenumberutil.py": 150_000,
    "phonenumbers/data/region_AR.py": 9_000,
    "cryptography/hazmat/bindings/_rust.abi3.so": 10_300_000,
    "h3/_cy/cells.cpython-312-aarch64-linux-gnu.so": 470_000,
    "aws_lambda_powertools/logging/logger.py": 50_000,
    "vigia/handlers/api.py": 3_000,
    "vigia/residents/registration.py": 9_000,
    "schemas/city.schema.json": 20_000,
    "city/city.json": 200_000,
}
KEPT = {
    "numpy/__init__.py",
    "numpy/_core/_multiarray_umath.cpython-312-aarch64-linux-gnu.so",
    "numpy/linalg/_linalg.py",
    "numpy/testing/__init__.py",
    "numpy.libs/libscipy_openblas64_-7220728c.so",
    "numpy-2.4.6.dist-info/METADATA",
    "phonenumbers/phonenumberutil.py",
    "phonenumbers/data/region_AR.py",
    "cryptography/hazmat/bindings/_rust.abi3.so",
    "h3/_cy/cells.cpython-312-aarch64-linux-gnu.so",
    "aws_lambda_powertools/logging/logger.py",
    "vigia/handlers/api.py",
    "vigia/residents/registration.py",
    "schemas/city.schema.json",
    "city/city.json",
}


def test_the_zip_leaves_out_scripts_headers_static_libraries_tests_and_bytecode() -> None:
    # Given a staging tree as pip leaves it
    # When the packager sorts it
    plan = package.plan(SYNTHETIC)
    # Then only what a Lambda opens is kept, and everything else is counted under a reason
    assert set(plan.kept) == KEPT
    assert plan.unzipped_bytes == sum(SYNTHETIC[path] for path in KEPT)
    assert sum(plan.left_out.values()) == sum(SYNTHETIC.values()) - plan.unzipped_bytes
    assert plan.left_out["console scripts (bin/)"] == 500
    assert plan.left_out["static libraries"] == 293_528 + 90_000
    assert plan.left_out["C headers"] == 15_000
    assert plan.left_out["the dependencies' tests"] == 420_000 + 80_000 + 70_000 + 534_000 + 207_000


def test_vigia_code_is_never_left_out_whatever_its_name() -> None:
    # Vigía's own package ships whole (a module named like a test directory included), bytecode aside
    assert package.left_out("vigia/tests/helpers.py") is None
    assert package.left_out("vigia/include/thing.py") is None
    assert package.left_out("vigia/__pycache__/api.cpython-312.pyc") == "bytecode"


def test_a_zip_past_the_limit_is_refused_and_one_at_it_passes() -> None:
    limit = package.LIMIT_UNZIPPED_MB
    assert limit == 60
    assert package.over_limit(int(limit * 1e6)) is None
    refusal = package.over_limit(int(limit * 1e6) + 1)
    assert refusal is not None
    assert "60.0 MB unzipped, over the 60 MB limit" in refusal


def test_make_package_fails_past_the_limit_and_writes_no_zip(tmp_path: Path) -> None:
    # Given a stale zip from an earlier build and a limit the code alone exceeds
    out = tmp_path / "vigia.zip"
    out.write_bytes(b"stale")
    # When the packager builds (code, schemas and city pack only: no download)
    with pytest.raises(SystemExit, match="over the 0 MB limit"):
        package.build("godoy-cruz", out, skip_deps=True, limit_mb=0.0001, staging=tmp_path / "staging")
    # Then it stops and leaves no zip anyone could deploy
    assert not out.exists()


def test_the_code_zip_holds_vigia_schemas_and_the_city_pack_without_bytecode(tmp_path: Path) -> None:
    out = tmp_path / "vigia.zip"
    plan, _ = package.build("godoy-cruz", out, skip_deps=True, staging=tmp_path / "staging")
    names = zipfile.ZipFile(out).namelist()
    assert "vigia/handlers/api.py" in names
    assert "city/city.json" in names
    assert any(name.startswith("schemas/") for name in names)
    assert not [name for name in names if name.endswith(".pyc") or "__pycache__" in name]
    assert sum(info.file_size for info in zipfile.ZipFile(out).infolist()) == plan.unzipped_bytes


def _sources() -> str:
    return "\n".join(path.read_text() for path in (ROOT / "functions").rglob("*.py"))


def test_the_left_out_numpy_and_phonenumbers_parts_are_never_imported() -> None:
    # Vigía's code names none of them ...
    sources = _sources()
    for module in ("random", "fft", "polynomial", "ma"):
        assert not re.search(rf"\b(np|numpy)\.{module}\b|from numpy import .*\b{module}\b", sources), module
    for module in ("geocoder", "carrier", "timezone"):
        assert not re.search(rf"phonenumbers\.{module}\b|from phonenumbers import .*\b{module}\b", sources)
    # ... and importing numpy and phonenumbers (as Vigía's modules do) loads none of them
    code = (
        "import sys, numpy, numpy.typing, phonenumbers; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('numpy.', 'phonenumbers.')))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(loaded.stdout.split())
    assert "numpy.linalg" in modules  # the check sees numpy's eager imports
    for path in ("numpy/random/", "numpy/fft/", "numpy/polynomial/", "numpy/ma/", "phonenumbers/geodata/"):
        dotted = path.rstrip("/").replace("/", ".")
        assert not {m for m in modules if m == dotted or m.startswith(dotted + ".")}, path
        assert package.left_out(path + "__init__.py") is not None


def test_the_real_zip_is_under_60_mb_unzipped_with_no_scripts_headers_or_static_libraries(
    tmp_path: Path,
) -> None:
    # The real build: pip downloads linux arm64 wheels from the package registry (or its cache), ~20 s
    out = tmp_path / "vigia.zip"
    subprocess.run(
        [sys.executable, "-m", "infra.tools.package", "--out", str(out), "--staging", str(tmp_path / "s")],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    infos = zipfile.ZipFile(out).infolist()
    assert sum(info.file_size for info in infos) <= 60e6
    names = [info.filename for info in infos]
    assert not [
        n for n in names if n.startswith("bin/") or n.endswith((".h", ".a", ".pyc")) or "/include/" in n
    ]
    assert not [n for n in names if "/tests/" in n and not n.startswith("vigia/")]
    assert "vigia/handlers/api.py" in names
    assert any(n.startswith("numpy.libs/") for n in names)

"""The layering contracts of .importlinter hold (also run by `make lint`): the suite fails as lint does."""

from __future__ import annotations

import os
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_domain_adapters_handlers_and_runtime_keep_their_layers_and_no_module_imports_itself_back():
    here = Path.cwd()
    os.chdir(ROOT)  # the contract type in .importlinter is found from the repository root
    try:
        exit_code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True)
    finally:
        os.chdir(here)
    assert exit_code == 0, "lint-imports: a contract is broken (run `make lint` for which import)"

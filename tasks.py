#!/usr/bin/env python3
"""The two quick-start commands of nictbw; needs only Python 3.11+.

    python3 tasks.py simulate [ARGS...]   install nictbw (with its command line) and run a
                                           seeded event simulation on the embedded SQLite default
    python3 tasks.py test [PYTEST ARGS...] install nictbw with its dev tools and run every check:
                                           ruff, mypy --strict (nictbw and examples/host-service),
                                           import-linter and the pytest suite
    python3 tasks.py bench [ARGS...]       run the benchmark suite under bench/

Each creates (once) and reuses its own virtual environment in ``.venv``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
EXAMPLE = Path("examples") / "host-service"
EXAMPLE_MYPY_ARGS = (
    str(EXAMPLE / "host_service"),
    str(EXAMPLE / "tests"),
)
"""The example host service is type-checked on its own, as a stranger's project would be."""


def run(*cmd: str | Path) -> None:
    """Run a command in the project root; exit with its code when it fails."""
    print("+", " ".join(str(c) for c in cmd), flush=True)
    code = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if code != 0:
        sys.exit(code)


def ensure_env(extras: str) -> None:
    """Create ``.venv`` when missing and install the project with ``extras`` into it."""
    if sys.version_info < (3, 11):
        sys.exit(f"nictbw needs Python 3.11 or newer, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-e",
        f".[{extras}]",
    )


def main(argv: list[str]) -> None:
    """Dispatch ``simulate``, ``test`` or ``bench``."""
    if not argv or argv[0] not in {"simulate", "test", "bench"}:
        sys.exit(__doc__)
    task, rest = argv[0], argv[1:]
    if task == "simulate":
        ensure_env("cli,postgres")
        run(PYTHON, "-m", "nictbw", "simulate", *rest)
    elif task == "test":
        ensure_env("dev")
        run(BIN / "ruff", "check", "src", "tests", "bench", "examples", "tasks.py")
        run(PYTHON, "-m", "mypy", "--strict", "src")
        run(PYTHON, "-m", "mypy", "--strict", *EXAMPLE_MYPY_ARGS)
        run(BIN / "lint-imports")
        run(PYTHON, "-m", "pytest", *rest)
    else:
        ensure_env("dev")
        run(PYTHON, "bench/run.py", *rest)
        run(PYTHON, "bench/simulate.py", "--users", "100000")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The rule that runs is the rule that is tested: every public function and constant of
``nictbw.domain`` is used by the source tree, not only by tests.

A domain function that only tests call, beside a private copy that production runs, is a
bug waiting to happen. The check reads the source with ``ast``: a name counts as used when
some module under ``src/nictbw`` loads it (a call, a read, an attribute), through an import
alias or not. Importing or re-exporting a name is not a use.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import nictbw

SOURCE_ROOT = Path(nictbw.__file__).parent
DOMAIN = SOURCE_ROOT / "domain"

HOST_API: dict[tuple[str, str], str] = {
    # (module, name): why a host, not nictbw, calls it. Names here are documented in
    # API.md for embedding applications; none is needed today.
}

NOT_YET_CALLED: dict[tuple[str, str], str] = {
    # (module, name): the copy production still runs. Each entry is a debt: delete it
    # when the source tree calls the domain function instead of its copy.
}


def public_names(module: Path) -> Iterator[str]:
    """The module's top-level public functions and UPPER_CASE constants."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if not node.name.startswith("_"):
                yield node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Name)
                    and target.id.isupper()
                    and not target.id.startswith("_")
                ):
                    yield target.id


def used_names(files: Iterable[Path]) -> set[str]:
    """Every name loaded in ``files``, import aliases resolved to the imported name."""
    used: set[str] = set()
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {
            alias.asname: alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.asname
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                used.add(aliases.get(node.id, node.id))
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                used.add(node.attr)
    return used


def unused_public_names(
    package: Path, source_root: Path, allowed: Iterable[tuple[str, str]] = ()
) -> list[tuple[str, str]]:
    """(module, name) of each public name of the modules in ``package`` that no module
    under ``source_root`` uses, less ``allowed``; sorted."""
    used = used_names(sorted(source_root.rglob("*.py")))
    skip = set(allowed)
    return sorted(
        (module.stem, name)
        for module in sorted(package.glob("*.py"))
        for name in public_names(module)
        if name not in used and (module.stem, name) not in skip
    )


def test_every_public_domain_function_and_constant_runs_in_the_source_tree() -> None:
    allowed = set(HOST_API) | set(NOT_YET_CALLED)
    assert unused_public_names(DOMAIN, SOURCE_ROOT, allowed) == []


def test_every_allowed_name_still_exists() -> None:
    missing = [
        (module, name)
        for module, name in sorted(set(HOST_API) | set(NOT_YET_CALLED))
        if name not in set(public_names(DOMAIN / f"{module}.py"))
    ]
    assert missing == []


def _plant(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_check_finds_a_rule_only_tests_call(tmp_path: Path) -> None:
    source = _plant(
        tmp_path / "src",
        {
            "domain/rules.py": (
                "LIMIT = 3\n"
                "def used_rule(x):\n    return x < LIMIT\n"
                "def copied_rule(x):\n    return x < 3\n"
                "def _private(x):\n    return x\n"
            ),
            "domain/__init__.py": "from domain.rules import copied_rule, used_rule\n",
            "adapter.py": (
                "from domain.rules import used_rule as check\n"
                "def run(x):\n    return check(x) and x < 3  # its own copy of copied_rule\n"
            ),
        },
    )
    _plant(tmp_path / "tests", {"test_rules.py": "from domain.rules import copied_rule\n"})
    assert unused_public_names(source / "domain", source) == [("rules", "copied_rule")]


def test_the_check_counts_attribute_use_and_honours_the_allowed_list(tmp_path: Path) -> None:
    source = _plant(
        tmp_path,
        {
            "domain/rules.py": "def by_attribute():\n    pass\ndef for_hosts():\n    pass\n",
            "app.py": "import domain.rules\ndomain.rules.by_attribute()\n",
        },
    )
    assert unused_public_names(source / "domain", source) == [("rules", "for_hosts")]
    assert unused_public_names(source / "domain", source, {("rules", "for_hosts")}) == []

"""The package's table of contents is true: every module is listed, below what it imports, with the chapters
whose notebooks import it.

helpers/__init__.py names each module and, in brackets, the chapters that use it; helpers/widgets/__init__.py
does the same for each lab. The truth is read from the chapters' sources (notebooks/NN_topic.py): their
`from helpers.x import ...` and `import helpers.x` lines, and a module they run with `-m helpers.x`.
"""

import re
from collections import defaultdict
from pathlib import Path

import helpers
import helpers.widgets

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_SOURCES = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
TAG = re.compile(r"\((?:chapters?) ([0-9, -]+)\)\s*$")


def chapters_in(tag: str) -> set[int]:
    """ "1, 5-7" -> {1, 5, 6, 7}."""
    chapters = set()
    for part in tag.split(","):
        low, _, high = part.strip().partition("-")
        chapters |= set(range(int(low), int(high or low) + 1))
    return chapters


def module_uses() -> dict[str, set[int]]:
    """Module (e.g. "probes", "experiments.scaling") -> the chapters whose source imports or runs it."""
    uses = defaultdict(set)
    pattern = re.compile(r"^\s*(?:from|import)\s+helpers\.([\w.]+)|\"-m\",\s*\"helpers\.([\w.]+)\"", re.M)
    for source in CHAPTER_SOURCES:
        chapter = int(source.name[:2])
        for imported, run in pattern.findall(source.read_text(encoding="utf-8")):
            parts = (imported or run).split(".")
            uses[".".join(parts[:2]) if parts[0] == "experiments" else parts[0]].add(chapter)
    return uses


def helpers_imports(path: Path) -> set[str]:
    """The helpers modules a source file imports (experiments one by one), itself left out."""
    names = set()
    for parts in (m.split(".")[1:] for m in re.findall(r"^\s*from (helpers\.[\w.]+) import", path.read_text(), re.M)):
        names.add(".".join(parts[:2]) if parts[0] == "experiments" and len(parts) > 1 else parts[0])
    return names


def module_of(path: Path) -> str:
    """The listed module a file belongs to: "model", "tokenizers", "experiments.scaling"."""
    parts = path.relative_to(ROOT / "helpers").with_suffix("").parts
    return f"experiments.{parts[1]}" if parts[0] == "experiments" and len(parts) > 1 else parts[0]


def listed_modules() -> dict[str, set[int]]:
    """Module -> the chapters helpers/__init__.py names for it (an indented name is an experiment)."""
    listed = {}
    table = helpers.__doc__.split("\n\n", 2)[2]  # after the title and the paragraph that explains the table
    for line in table.splitlines():
        match = re.match(r"^( *)([a-z][a-z0-9_]*) +\S", line)
        if match:
            name = f"experiments.{match.group(2)}" if match.group(1) else match.group(2)
            tag = TAG.search(line)
            listed[name] = chapters_in(tag.group(1)) if tag else set()
    return listed


def package_modules() -> set[str]:
    """Every module and subpackage of helpers, experiments one by one."""
    names = {p.stem for p in (ROOT / "helpers").iterdir() if p.suffix == ".py" and p.stem != "__init__"}
    names |= {p.name for p in (ROOT / "helpers").iterdir() if (p / "__init__.py").is_file()}
    experiments = ROOT / "helpers" / "experiments"
    return names | {f"experiments.{p.stem}" for p in experiments.glob("*.py") if p.stem != "__init__"}


def test_chapter_sources_are_found():
    assert len(CHAPTER_SOURCES) == 8


def test_every_module_is_listed_once():
    assert set(listed_modules()) == package_modules()


def test_a_module_imports_only_modules_listed_above_it():
    order = list(listed_modules())
    sources = [path for path in (ROOT / "helpers").rglob("*.py") if path != ROOT / "helpers" / "__init__.py"]
    upward = sorted(f"{path.relative_to(ROOT)} imports {other}" for path in sources
                    for other in helpers_imports(path) - {module_of(path)}
                    if other in order and order.index(other) > order.index(module_of(path)))
    assert not upward, upward


def test_each_module_names_the_chapters_that_import_it():
    uses = module_uses()
    wrong = {name: (sorted(chapters), sorted(uses.get(name, set())))
             for name, chapters in listed_modules().items() if chapters != uses.get(name, set())}
    assert not wrong, f"module: (chapters listed, chapters that import it): {wrong}"


def test_each_lab_names_the_chapters_that_use_it():
    used = defaultdict(set)
    for source in CHAPTER_SOURCES:
        for names in re.findall(r"^from helpers\.widgets import ([\w, ]+)$", source.read_text(), re.M):
            for name in names.split(","):
                used[name.strip()].add(int(source.name[:2]))
    listed = {}
    for line in helpers.widgets.__doc__.splitlines():
        match = re.match(r"^\w+\.py +(\w+):", line)
        if match:
            tag = TAG.search(line)
            listed[match.group(1)] = chapters_in(tag.group(1)) if tag else set()
    wrong = {lab: (sorted(chapters), sorted(used.get(lab, set())))
             for lab, chapters in listed.items() if chapters != used.get(lab, set())}
    assert listed and not wrong, f"lab: (chapters listed, chapters that use it): {wrong}"

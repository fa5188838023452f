"""The shape that keeps the access policy whole: each package imports only those below
it, and SQL over ``stories`` lives in the archive's query layer alone."""

import ast
import re
from pathlib import Path

import storyatlas

ROOT = Path(storyatlas.__file__).parent
# lower number: lower layer; a package may import its own layer's helpers and anything below
LAYERS = {
    "errors": -1,
    "text": -1,  # imports nothing of the project
    "machine": -1,  # the same
    "stems": 0, "settings": 0, "offline": 0,
    "archive": 1,
    "ingest": 2, "transcript_files": 2,
    "transcribe": 3,  # reads the speech audio that ingest made
    "themes": 3,
    "meaning": 3.5,  # the themes' encoder, read by search
    "search": 4,
    "jobs": 5, "exports": 5, "imports": 5, "atlas": 5,
}
# the shells on top (web, the command line) may use anything, each other included
SHELLS = 6


def _package(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _runtime_imports(tree: ast.AST) -> set[str]:
    """Project packages imported when the module runs (typing-only imports left out)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("storyatlas."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("storyatlas."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_every_package_imports_only_packages_below_it():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        package = _package(path)
        if package == "__init__":
            continue
        for imported in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            rank = LAYERS.get(package, SHELLS)
            if imported != package and rank < SHELLS and LAYERS.get(imported, SHELLS) >= rank:
                wrong.append(f"{path.relative_to(ROOT)} imports storyatlas.{imported}")
    assert wrong == []


def test_only_the_archive_queries_stories():
    stories_sql = re.compile(r"\b(FROM|JOIN|UPDATE|INTO)\s+stories\b")  # SQL is written in capitals here
    outside = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*.py")
               if _package(p) != "archive" and stories_sql.search(p.read_text(encoding="utf-8"))]
    assert outside == []

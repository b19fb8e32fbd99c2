import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "editor" / "imaging"


def test_no_module_of_the_pipeline_imports_django():
    for source in PACKAGE.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("django", "celery")), f"{source.name} imports {name}"


def test_the_pipeline_loads_without_django_in_the_process():
    code = (
        "import sys, editor.imaging.pipeline; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery')))"
    )
    # editor/__init__.py is empty, so importing the subpackage pulls in nothing else.
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parents[1],
    )
    assert out.stdout.strip() == "[]"

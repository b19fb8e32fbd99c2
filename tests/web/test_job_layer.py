"""The job layer's shape: modules import each other one way, and the web never loads the network."""

import ast
import subprocess
import sys

from tests.paths import ROOT

# Each module of the job layer, and the modules of it that it may import: the
# web's entry points above the services, the services above the record and
# the files; the worker's side (tasks, processing, engine) off to one side.
ALLOWED = {
    "jobfiles": set(),
    "records": {"jobfiles"},
    "services": {"jobfiles", "records", "ratelimit"},
    "engine": set(),
    "processing": {"engine", "jobfiles", "records", "services"},
    "tasks": {"engine", "processing", "records"},
    "uploads": {"ratelimit", "services", "middleware"},
    "responses": {"services", "uploads", "forms"},  # the refusals shared by views and api
    "views": {"jobfiles", "records", "services", "uploads", "forms", "responses"},
    "api": {"jobfiles", "records", "services", "uploads", "forms", "responses"},
}


def _editor_imports(module: str) -> set[str]:
    tree = ast.parse((ROOT / "editor" / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("editor"):
            found |= {alias.name for alias in node.names}
    return found - {"imaging"}


def test_the_job_modules_import_each_other_in_one_direction_only():
    layer = set(ALLOWED)
    for module, allowed in ALLOWED.items():
        imported = _editor_imports(module) & (layer | {"forms", "middleware", "ratelimit"})
        assert imported <= allowed, f"editor/{module}.py imports {imported - allowed}"
    assert not (ROOT / "editor" / "jobs.py").exists()
    assert not (ROOT / "editor" / "storage.py").exists()


def test_nothing_but_jobfiles_names_a_job_file():
    for path in (ROOT / "editor").rglob("*.py"):
        if path.name in ("jobfiles.py",):
            continue
        text = path.read_text()
        for name in ('"meta.json"', '"mask.png"', '"result.json"', '"advice.json"', 'f"jobs/{'):
            assert name not in text, f"{path.relative_to(ROOT)} names {name}"


WEB_IMPORTS = """
import sys
import django
django.setup()
from django.test import Client
import config.wsgi
client = Client(HTTP_HOST="127.0.0.1")
for url in ("/", "/portrait/", "/remove-background/", "/guide/", "/api/jobs/0"):
    client.get(url)
client.post("/api/jobs", {"tool": "portrait"})
print(sorted({m.split(".")[0] for m in sys.modules} & {"onnxruntime", "cv2", "editor.tasks"}))
print("editor.tasks" in sys.modules, "editor.worker.processing" in sys.modules)
"""


def test_the_web_process_never_imports_onnxruntime_or_opencv():
    shown = subprocess.run(
        [sys.executable, "-c", WEB_IMPORTS], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert shown == ["[]", "False False"]

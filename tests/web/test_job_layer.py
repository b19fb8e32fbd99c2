"""The job layer's shape: modules import each other one way, and the web never loads the network."""

import ast
import subprocess
import sys

from tests.paths import ROOT

# Which of editor's packages each part may import: the pages and the API above the
# request policy, above the job layer, above the pure pipeline; the worker beside the
# web, never under it; the reports on the pipeline alone.
PACKAGES = {
    "imaging": set(),
    "reports": {"imaging"},
    "jobs": {"imaging"},
    "worker": {"jobs", "imaging"},
    "policy": {"jobs", "imaging"},
    "web": {"policy", "jobs", "imaging"},
    "api": {"web", "policy", "jobs", "imaging"},
    "management": {"management", "worker", "jobs", "reports", "imaging"},
    "tasks": {"worker", "jobs", "imaging"},
    "urls": {"web", "api"},
    "apps": set(),
}
# Inside the job layer, one way too: files and plain data at the bottom, services on top.
JOB_MODULES = {
    "files": set(),
    "states": set(),
    "refusals": set(),
    "storages": set(),
    "backends": set(),
    "protocol": {"files", "refusals"},
    "limits": {"protocol", "refusals"},
    "records": {"files", "protocol", "states"},
    "services": {"files", "limits", "protocol", "records", "refusals"},
    "batches": {"files", "limits", "protocol", "records", "refusals", "services", "states"},
}


def _imports(path) -> set[str]:
    """The editor modules a file imports, as dotted names under editor."""
    tree = ast.parse(path.read_text())
    package = ".".join(path.relative_to(ROOT).parent.parts)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.startswith("editor"):
                found |= {f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("editor")}
    return found


def _part(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_imports_the_others_in_one_direction_only():
    for path in (ROOT / "editor").rglob("*.py"):
        part = _part(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if part in ("", "__init__"):
            continue
        allowed = PACKAGES[part] | {part}
        for target in _imports(path):
            assert _part(target) in allowed, f"{path.relative_to(ROOT)} imports {target}"


def test_the_job_layer_imports_its_own_modules_one_way():
    for module, allowed in JOB_MODULES.items():
        imported = {t.split(".")[2] for t in _imports(ROOT / "editor" / "jobs" / f"{module}.py")}
        imported = imported & set(JOB_MODULES)
        assert imported <= allowed, f"editor/jobs/{module}.py imports {imported - allowed}"
    assert set(JOB_MODULES) == {p.stem for p in (ROOT / "editor" / "jobs").glob("[a-z]*.py")}


def test_nothing_but_the_files_module_names_a_stored_file():
    names = ('"meta.json"', '"mask.png"', '"result.json"', '"advice.json"', '"batch.json"')
    for path in (ROOT / "editor").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() == "editor/jobs/files.py":
            continue
        text = path.read_text()
        for name in (*names, 'f"jobs/{', 'f"batches/{', "default_storage"):
            assert name not in text, f"{path.relative_to(ROOT)} names {name}"


def test_every_redis_key_is_spelled_in_the_protocol_module():
    for path in (ROOT / "editor").rglob("*.py"):
        if path.relative_to(ROOT).as_posix() == "editor/jobs/protocol.py":
            continue
        text = path.read_text()
        assert "softfocus:" not in text, f"{path.relative_to(ROOT)} spells a Redis key"
        assert "Redis(" not in text and "Redis.from_url" not in text


def test_only_the_worker_computes_a_revision():
    for path in (ROOT / "editor").rglob("*.py"):
        text = path.read_text()
        where = path.relative_to(ROOT).as_posix()
        if "revision(" in text.replace("def revision(", ""):
            assert where.startswith("editor/worker/"), f"{where} computes a revision"


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


def test_the_house_stays_small_enough_to_read():
    top = [p.name for p in (ROOT / "editor").glob("*.py")]
    assert len(top) <= 8, f"editor/ holds {sorted(top)}: put new modules in a package by role"
    for folder in ("config", "editor", "models", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = path.read_text().count("\n")
            assert lines <= 400, f"{path.relative_to(ROOT)} has {lines} lines: split it"
    for package in ("web", "api", "policy", "jobs", "worker", "reports"):
        assert ast.get_docstring(ast.parse((ROOT / "editor" / package / "__init__.py").read_text()))

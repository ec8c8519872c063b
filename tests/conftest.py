# The fixtures live in shopbridge.testing (a pytest plugin) so that plugin authors get the very same ones.
import sys
from pathlib import Path

# Test helper modules (e.g. pictures.py) are imported by name; importlib import mode does not add tests/ itself.
sys.path.insert(0, str(Path(__file__).parent))

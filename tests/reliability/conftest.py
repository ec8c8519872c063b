"""Reliability tests: real servers, real crashes, real outages. Helpers shared by these modules live in
``servers.py`` next to this file; importlib import mode does not put this directory on ``sys.path`` itself."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

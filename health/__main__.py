"""``python -m health``: the same command as ``health``."""

import sys

from health.cli import main

sys.exit(main())

"""``python -m cartship``: the shipping commands behind make publish/promote/status."""

import sys

from cartship.cli import main

sys.exit(main())

"""``python -m rafmodel`` is the ``raf`` command."""

import sys

from .cli import main

sys.exit(main())

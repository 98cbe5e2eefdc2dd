"""``python -m imagineo``: the same as the ``imagineo`` command."""

import sys

from .cli import main

sys.exit(main())

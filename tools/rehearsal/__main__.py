"""``python -m tools.rehearsal``: see ``tools.rehearsal.rehearse``."""

import sys

from tools.rehearsal.rehearse import main

sys.exit(main())

"""``python -m studio.plugins.training.demo OUT [STEPS] [STEP_DELAY]``: how the GUI starts a
live demo run as its own process (so it can be watched and stopped like any training)."""

import sys

from studio.plugins.training.demo.trainer import main

sys.exit(main())

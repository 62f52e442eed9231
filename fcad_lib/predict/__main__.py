"""``python -m fcad_lib.predict BUNDLE AREA OUT``: the whole-area predictor's command line."""

import sys

from fcad_lib.predict import main

sys.exit(main())

"""A second floor for bench/synth.py: every module the platform's app.py imports (the aws-cdk-lib
submodules of seven stacks, cdk-nag, cdk-monitoring-constructs, the config) and then exactly the
empty app, nothing of the platform built.

The platform against this floor is what building and synthesizing the seven stacks adds on top of
loading the libraries they need.
"""

import runpy
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import app  # noqa: F401  (the imports are the point)

runpy.run_path(str(Path(__file__).with_name("empty_app.py")))

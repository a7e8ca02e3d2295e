import sys

from local_deploy.cli import main

sys.exit(main())

"""``python -m consent_service.proof FILE.csv``: the offline verifier, run from a checkout of the service."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m consent_service.proof"))

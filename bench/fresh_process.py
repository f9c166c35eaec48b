"""A measurement in a fresh process, so that its memory figures are its own."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def json_from_fresh_process(module, *args, timeout=600):
    """Run ``python -m module args`` in a new process (its own memory figures) and parse the JSON
    object on its last line of output; raise with the output when it fails."""
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if done.returncode:
        raise RuntimeError(done.stdout + done.stderr)
    return json.loads(done.stdout.splitlines()[-1])

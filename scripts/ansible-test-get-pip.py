"""Offline stand-in for pip's get-pip.py bootstrap script, for ansible-test.

ansible-test bootstraps pip into each sanity virtualenv with a script that it
downloads from a host our CI cannot reach. Python ships pip (ensurepip), so install
that and then let pip install what ansible-test asked for from the package index.
"""

import subprocess
import sys

DROPPED = {"--no-setuptools", "--no-wheel"}

subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True)
arguments = [argument for argument in sys.argv[1:] if argument not in DROPPED]
result = subprocess.run([sys.executable, "-m", "pip", "install", *arguments], check=False)
sys.exit(result.returncode)

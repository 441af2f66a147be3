"""The goldentooth-forgejo policy pack, run by `pulumi preview|up --policy-pack policy`.

``PolicyPack(...)`` starts the policy server and blocks until the engine is
done, so nothing may import this file: the policies live in ``rules.py``.
Pulumi runs this directory with ``runpy.run_path``, which puts it first on
``sys.path``; that is how ``rules`` is found. The project root goes on it too,
for the rules ``rules`` shares with the program (``components/naming.py``).
"""

import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

import rules
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=rules.PACK_NAME,
    policies=rules.POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Guards for the goldentooth-forgejo stack: privileged pods, plaintext secrets, chart pins, "
    "HTTPRoute backends and mirror addresses.",
)

"""The goldentooth-forgejo policy pack (a package only so that tests and mypy name ``policy.rules`` one way)."""

"""Entry point: the logic lives in forgejo_endpoint.py, a uniquely named module tests can run."""

from forgejo_endpoint import main

main()

"""Entry point: the logic lives in gateway_certificate.py, a uniquely named module tests can run."""

from gateway_certificate import main

main()

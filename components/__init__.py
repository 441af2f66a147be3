"""Components of the goldentooth Forgejo CI/CD program, one module per concept."""

"""Components of the goldentooth Forgejo CI/CD program.

Each module holds one concept. The dynamic providers' module paths (``mirror_provider``, ``generated_secret``)
are part of existing stacks' state, since dill pickles a provider class by reference: they must never move.
"""

"""Components of the goldentooth Forgejo CI/CD program.

Each module holds one concept. The mirror provider's module path is part of
existing stacks' state (dill pickles the provider class by reference), so it
must never move.
"""

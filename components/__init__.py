"""Components of the goldentooth Forgejo CI/CD program.

Each module holds one concept. The mirror provider's module path is part of
existing stacks' state (dill pickles the provider class by reference), so it
must never move.

Components annotate their outputs where they set them
(``self.hostname: pulumi.Output[str] = ...``), not on the class: the SDK
evaluates a resource class's annotations while resolving its outputs, which
costs every preview time and describes nothing for a component.
"""

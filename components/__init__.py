"""Components of the goldentooth Forgejo CI/CD program.

Each module holds one concept. The mirror provider's module path is part of
existing stacks' state (dill pickles the provider class by reference), so it
must never move.

Components annotate their outputs where they set them
(``self.hostname: pulumi.Output[str] = ...``), not on the class: the SDK
evaluates a resource class's annotations while resolving its outputs, which
costs every preview time and describes nothing for a component.

Modules that define NamedTuples (settings, config_reader, mirror_rules,
mirrors, runner_registration, mirror_provider) do without ``from __future__
import annotations``: typing.NamedTuple turns every string annotation into a
compiled ForwardRef when the class is defined, a couple of milliseconds over
these records on every preview, while evaluated annotations cost next to
nothing. A name imported only under TYPE_CHECKING is then written in quotes,
and a classmethod that builds its own class returns ``Self``.

Kubernetes classes are imported from their own modules
(``from pulumi_kubernetes.apps.v1 import Deployment``), not reached as
``k8s.apps.v1.Deployment``: that attribute path runs the lazily loaded
package's ``__init__``, which also sets up apps/v1beta1, apps/v1beta2 and
helm/v4, which this program never uses.
"""

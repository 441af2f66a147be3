"""goldentooth's self-hosted CI/CD: push to GitHub -> Forgejo mirror -> Actions -> registry."""

import pulumi

from components.api_tokens import ApiTokens
from components.cluster import existing_value
from components.config import load_settings
from components.forgejo import ForgejoServer
from components.forgejo_api import ForgejoConnection
from components.image_automation import ImageAutomation
from components.mirrors import Mirrors
from components.namespaces import Namespaces
from components.route import GatewayRoute
from components.runner import ActionsRunner, object_name
from components.runner_egress import RunnerEgress
from components.takeover import register_takeover

# 1. Config: every key validated before anything is registered.
settings, secrets = load_settings()
# Taking over what Flux deployed (the adoption block): the seed's objects are imported and force-applied by one
# transform over every resource registered after it.
register_takeover(settings)

# 2. Namespaces: the server's enforces baseline; only the runner's admits privileged pods.
namespaces = Namespaces("forgejo", settings)

# 3. Forgejo from its OCI chart, with generated admin credentials and the runner's shared secret registered.
forgejo = ForgejoServer(
    "forgejo",
    settings,
    # Only the server's namespace: a protected release that waited for the runner's would keep it on destroy.
    namespace_ready=namespaces.server_namespace,
    admin_password=secrets.admin_password,
    runner_secret=secrets.runner_secret,
)

# 4. The route through the shared gateway, to the service name the chart computes.
route = GatewayRoute("forgejo", settings, depends_on=[forgejo.release])

# 5. The Actions runner groups, talking to Forgejo in-cluster over plain http: the runner* keys' group, then each of
#    runnerGroups, every one with its own shared secret and registration.
runners = [
    ActionsRunner(
        object_name(settings, group),
        settings,
        group,
        shared_secret=forgejo.runner_secrets[group.name],
        # create-runner-file pings Forgejo; starting after the release is ready
        # keeps the first rollout free of init-container backoff.
        depends_on=[namespaces, forgejo.release],
    )
    for group in settings.runners
]

# 5b. The runner pods' NetworkPolicy: DNS, Forgejo, the gateway, the internet and what runnerEgress adds; not the
#     Kubernetes API or other namespaces. It selects every runner Deployment's pods, whenever they start.
RunnerEgress("forgejo-runner-egress", settings, opts=pulumi.ResourceOptions(depends_on=[namespaces]))

# 6. Pull mirrors through Forgejo's migrate API, with Actions switched on, trusting Forgejo's CA: the PEM in
#    config, or read from the cluster (cert-manager's ca.crt beside the gateway's certificate).
ca = settings.forgejo_ca_from
ca_bundle = settings.forgejo_ca_bundle or (
    existing_value(
        "forgejo-ca", ca.namespace, ca.secret_name or ca.config_map_name, ca.key, config_map=not ca.secret_name
    )
    if ca
    else None
)
connection = ForgejoConnection(
    api_url=settings.api_url,
    username=settings.admin_username,
    password=forgejo.admin_password,
    token=secrets.forgejo_api_token,
    ca_bundle=ca_bundle,
    insecure=settings.forgejo_insecure,
)
mirrors = Mirrors(
    "mirrors",
    settings.mirrors,
    connection,
    min_interval=settings.mirror_min_interval,
    upstream_tokens=secrets.mirror_upstream_tokens,
    retain=settings.protect_data,
    # Forgejo must be installed and routed before its API can answer.
    opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route]),
)

# 7. Scoped access tokens, minted by the admin's password login (Forgejo takes no token for that), each value
#    delivered as a Secret in its consumer's namespace when asked.
api_tokens = ApiTokens(
    "api-tokens", settings.api_tokens, connection, opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route])
)

# 8. Flux image automation (imageAutomation): an ImageRepository and an ImagePolicy for the image the build
#    workflow template pushes; Flux's own ImageUpdateAutomation commits the chosen tag to the user's repository.
automation = settings.image_automation
images = ImageAutomation("image-automation", settings, automation) if automation else None

# 9. Outputs: the contract other stacks read through StackReference.
pulumi.export("url", settings.url)
pulumi.export("hostname", route.hostname)
pulumi.export("server_namespace", namespaces.server)
pulumi.export("runner_namespace", namespaces.runner)
pulumi.export("http_service_name", settings.http_service_name)
pulumi.export("internal_url", settings.internal_url)
pulumi.export("helm_release_name", forgejo.release_name)
pulumi.export("chart_version", settings.chart_version)
pulumi.export("admin_username", forgejo.admin_username)
pulumi.export("admin_password", forgejo.admin_password)
pulumi.export("tls_dns_names", settings.tls_dns_names)
pulumi.export("runner_name", runners[0].name)
pulumi.export("runner_labels", runners[0].labels)
pulumi.export("runner_groups", [{"name": runner.name, "labels": runner.labels} for runner in runners])
pulumi.export(
    "mirrors",
    {
        full_name: {
            "html_url": mirror.html_url,
            "clone_url": mirror.clone_url,
            "has_actions": mirror.has_actions,
            "mirror_interval": mirror.mirror_interval,
        }
        for full_name, mirror in mirrors.mirrors.items()
    },
)
# What each token is and where its value went; the values themselves only as one secret output.
pulumi.export(
    "api_tokens",
    {
        key: {
            "user": spec.user,
            "name": spec.name,
            "token_name": api_tokens.tokens[key].token_name,
            "scopes": spec.scopes,
            "secret": spec.secret.model_dump() if spec.secret else None,
        }
        for key, spec in api_tokens.specs.items()
    },
)
pulumi.export("api_token_values", pulumi.Output.secret({key: t.token for key, t in api_tokens.tokens.items()}))
# Flux image automation watches what the build workflow template pushes; manifests name the policy in their marker.
pulumi.export("image_repository", settings.image_repository)
pulumi.export("image_policy", images.policy if images else None)

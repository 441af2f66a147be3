"""goldentooth's self-hosted CI/CD: push to GitHub -> Forgejo mirror -> Actions -> registry."""

import pulumi

from components.cluster import existing_value
from components.config import load_settings
from components.forgejo import ForgejoServer
from components.image_automation import ImageAutomation
from components.mirror_provider import ForgejoConnection
from components.mirrors import Mirrors
from components.namespaces import Namespaces
from components.route import GatewayRoute
from components.runner import ActionsRunner

# 1. Config: every key validated before anything is registered.
settings, secrets = load_settings()

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

# 5. The Actions runner, talking to Forgejo in-cluster over plain http.
runner = ActionsRunner(
    "forgejo-runner",
    settings,
    shared_secret=forgejo.runner_secret,
    # create-runner-file pings Forgejo; starting after the release is ready
    # keeps the first rollout free of init-container backoff.
    depends_on=[namespaces, forgejo.release],
)

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
mirrors = Mirrors(
    "mirrors",
    settings.mirrors,
    ForgejoConnection(
        api_url=settings.api_url,
        username=settings.admin_username,
        password=forgejo.admin_password,
        token=secrets.forgejo_api_token,
        ca_bundle=ca_bundle,
        insecure=settings.forgejo_insecure,
    ),
    min_interval=settings.mirror_min_interval,
    upstream_tokens=secrets.mirror_upstream_tokens,
    retain=settings.protect_data,
    # Forgejo must be installed and routed before its API can answer.
    opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route]),
)

# 7. Flux image automation (imageAutomation): an ImageRepository and an ImagePolicy for the image the build
#    workflow template pushes; Flux's own ImageUpdateAutomation commits the chosen tag to the user's repository.
automation = settings.image_automation
images = ImageAutomation("image-automation", settings, automation) if automation else None

# 8. Outputs: the contract other stacks read through StackReference.
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
pulumi.export("runner_name", runner.name)
pulumi.export("runner_labels", runner.labels)
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
# Flux image automation watches what the build workflow template pushes; manifests name the policy in their marker.
pulumi.export("image_repository", settings.image_repository)
pulumi.export("image_policy", images.policy if images else None)

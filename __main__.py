"""goldentooth's self-hosted CI/CD: push to GitHub -> Forgejo mirror -> Actions -> registry."""

import pulumi

from components.config import load_settings
from components.forgejo import ForgejoServer
from components.mirrors import ForgejoConnection, Mirrors
from components.namespaces import Namespaces
from components.route import GatewayRoute
from components.runner import ActionsRunner

# 1. Config: every key validated before anything is registered.
settings = load_settings()

# 2. Namespaces: the server's enforces baseline; only the runner's admits privileged pods.
namespaces = Namespaces(
    "forgejo", settings.namespaces, retain_on_delete=settings.forgejo.protect_data, adoption=settings.adoption
)

# 3. Forgejo from its OCI chart, with generated admin credentials and the runner's shared secret registered.
forgejo = ForgejoServer(
    "forgejo",
    settings.forgejo,
    namespace=settings.namespaces.server,
    namespace_ready=namespaces,
    runner_name=settings.runner.name,
    runner_namespace=settings.namespaces.runner,
    admin_password=settings.secrets.admin_password,
    runner_secret=settings.secrets.runner_secret,
    adoption=settings.adoption,
)

# 4. The route through the shared gateway, to the service name the chart computes.
route = GatewayRoute(
    "forgejo",
    namespace=settings.namespaces.server,
    hostname=settings.forgejo.hostname,
    gateway=settings.gateway,
    service_name=settings.forgejo.http_service_name,
    service_port=settings.forgejo.service_port,
    depends_on=[forgejo.release],
    adoption=settings.adoption,
)

# 5. The Actions runner, talking to Forgejo in-cluster over plain http.
runner = ActionsRunner(
    "forgejo-runner",
    settings.runner,
    namespace=settings.namespaces.runner,
    instance_url=settings.internal_url,
    shared_secret=forgejo.runner_secret,
    # create-runner-file pings Forgejo; starting after the release is ready
    # keeps the first rollout free of init-container backoff.
    depends_on=[namespaces, forgejo.release],
    adoption=settings.adoption,
)

# 6. Pull mirrors through Forgejo's migrate API, with Actions switched on.
mirrors = Mirrors(
    "mirrors",
    settings.mirrors.mirrors,
    ForgejoConnection(
        api_url=settings.mirrors.api_url,
        username=settings.forgejo.admin_username,
        password=forgejo.admin_password,
        token=settings.secrets.forgejo_api_token,
        ca_bundle=settings.mirrors.ca_bundle,
        insecure=settings.mirrors.insecure,
    ),
    min_interval=settings.forgejo.mirror_min_interval,
    upstream_tokens=settings.secrets.mirror_upstream_tokens,
    # Forgejo must be installed and routed before its API can answer.
    opts=pulumi.ResourceOptions(depends_on=[forgejo.release, route]),
)

# 7. Outputs: the contract other stacks read through StackReference.
pulumi.export("url", settings.forgejo.url)
pulumi.export("hostname", route.hostname)
pulumi.export("server_namespace", namespaces.server)
pulumi.export("runner_namespace", namespaces.runner)
pulumi.export("http_service_name", settings.forgejo.http_service_name)
pulumi.export("internal_url", settings.internal_url)
pulumi.export("helm_release_name", forgejo.release_name)
pulumi.export("chart_version", settings.forgejo.chart_version)
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
# Flux image automation watches what the build workflow template pushes.
pulumi.export("image_repository", settings.image_build.repository if settings.image_build else None)

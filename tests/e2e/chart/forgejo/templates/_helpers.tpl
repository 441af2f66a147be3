{{/*
Helpers of the stand-in. They follow the real chart's templates/_helpers.tpl
(project-mirrors/forgejo-helm @ e78fa53), where the same helpers are named
gitea.*; here they are forgejo.*. The rules are the real ones.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "forgejo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: fullnameOverride wins; else a release name that already contains
the chart name is used as is; else "<release>-<chart>". Truncated to 63 with
one trailing "-" removed.
*/}}
{{- define "forgejo.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Bitnami common.names.namespace, the one bit of it the chart uses for names. */}}
{{- define "forgejo.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "forgejo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* image.tag or appVersion, without a digest. */}}
{{- define "forgejo.version" -}}
{{- regexReplaceAll "@.+" (.Values.image.tag | default .Chart.AppVersion | toString) "" -}}
{{- end -}}

{{/*
Image: fullOverride as is; else [registry/]repository:tag, "-rootless"
appended when image.rootless and the tag does not already end in it, then
"@digest" when image.digest is set. global.imageRegistry beats image.registry.
*/}}
{{- define "forgejo.image" -}}
{{- $registry := .Values.global.imageRegistry | default .Values.image.registry -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- $suffix := ternary "-rootless" "" (and .Values.image.rootless (not (hasSuffix "-rootless" (.Values.image.tag | toString)))) -}}
{{- $digest := "" -}}
{{- with .Values.image.digest -}}
{{- $digest = printf "@%s" (toString .) -}}
{{- end -}}
{{- if .Values.image.fullOverride -}}
{{- .Values.image.fullOverride -}}
{{- else if $registry -}}
{{- printf "%s/%s:%s%s%s" $registry .Values.image.repository $tag $suffix $digest -}}
{{- else -}}
{{- printf "%s:%s%s%s" .Values.image.repository $tag $suffix $digest -}}
{{- end -}}
{{- end -}}

{{- define "forgejo.images.pullSecrets" -}}
{{- $pullSecrets := .Values.imagePullSecrets -}}
{{- range .Values.global.imagePullSecrets -}}
{{- $pullSecrets = append $pullSecrets (dict "name" .) -}}
{{- end -}}
{{- if $pullSecrets -}}
imagePullSecrets:
{{ toYaml $pullSecrets }}
{{- end -}}
{{- end -}}

{{- define "forgejo.persistence.storageClass" -}}
{{- $storageClass := (tpl (default "" .Values.persistence.storageClass) .) | default (tpl (default "" .Values.global.storageClass) .) -}}
{{- if $storageClass -}}
storageClassName: {{ $storageClass | quote }}
{{- end -}}
{{- end -}}

{{- define "forgejo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "forgejo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "forgejo.labels" -}}
helm.sh/chart: {{ include "forgejo.chart" . }}
app: {{ include "forgejo.name" . }}
{{ include "forgejo.selectorLabels" . }}
app.kubernetes.io/version: {{ include "forgejo.version" . | quote }}
version: {{ include "forgejo.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/*
Bitnami common.compatibility.renderSecurityContext without the OpenShift
adaptation: drops "enabled", and "capabilities" when privileged.
*/}}
{{- define "forgejo.securityContext" -}}
{{- $context := omit (default dict .) "enabled" -}}
{{- if $context.privileged -}}
{{- $context = omit $context "capabilities" -}}
{{- end -}}
{{- toYaml $context -}}
{{- end -}}

{{- define "forgejo.default_domain" -}}
{{- printf "%s-http.%s.svc.%s" (include "forgejo.fullname" .) (include "forgejo.namespace" .) .Values.clusterDomain -}}
{{- end -}}

{{- define "forgejo.public_protocol" -}}
{{- if and .Values.ingress.enabled (gt (len .Values.ingress.tls) 0) -}}
https
{{- else -}}
{{ .Values.gitea.config.server.PROTOCOL }}
{{- end -}}
{{- end -}}

{{- define "forgejo.admin.secretName" -}}
{{- if .Values.gitea.admin.existingSecret -}}
{{ .Values.gitea.admin.existingSecret }}
{{- else -}}
{{- printf "%s-admin" (include "forgejo.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "forgejo.admin.passwordMode" -}}
{{- if has .Values.gitea.admin.passwordMode (list "keepUpdated" "initialOnlyNoReset" "initialOnlyRequireReset") -}}
{{ .Values.gitea.admin.passwordMode }}
{{- else -}}
{{ printf "gitea.admin.passwordMode must be set to one of 'keepUpdated', 'initialOnlyNoReset', or 'initialOnlyRequireReset'. Received: '%s'" .Values.gitea.admin.passwordMode | fail }}
{{- end -}}
{{- end -}}

{{- define "forgejo.serviceAccountName" -}}
{{ .Values.serviceAccount.name | default (include "forgejo.fullname" .) }}
{{- end -}}

{{/* extraInitVolumeMounts, else the deprecated extraVolumeMounts. */}}
{{- define "forgejo.init-additional-mounts" -}}
{{- if .Values.extraInitVolumeMounts -}}
{{- toYaml .Values.extraInitVolumeMounts -}}
{{- else if .Values.extraVolumeMounts -}}
{{- toYaml .Values.extraVolumeMounts -}}
{{- end -}}
{{- end -}}

{{/* extraContainerVolumeMounts, else the deprecated extraVolumeMounts. */}}
{{- define "forgejo.container-additional-mounts" -}}
{{- if .Values.extraContainerVolumeMounts -}}
{{- toYaml .Values.extraContainerVolumeMounts -}}
{{- else if .Values.extraVolumeMounts -}}
{{- toYaml .Values.extraVolumeMounts -}}
{{- end -}}
{{- end -}}

{{/* The data volume mount every Forgejo container shares. */}}
{{- define "forgejo.dataMount" -}}
- name: data
  mountPath: /data
  {{- with .Values.persistence.subPath }}
  subPath: {{ . }}
  {{- end }}
{{- end -}}

{{/*
The ini the init container writes, as the real chart builds it: the chart's
defaults are filled into .Values.gitea.config first (the Deployment reads
server.HTTP_PORT and server.SSH_LISTEN_PORT from there afterwards); every
non-empty map becomes one key "<section>" of "KEY=VALUE" lines; top-level
scalars are allowed only for the five ini-root keys, which go to "_generals_".
*/}}
{{- define "forgejo.inline_configuration" -}}
{{- include "forgejo.inline_configuration.defaults" . -}}
{{- $generals := list -}}
{{- $sections := dict -}}
{{- range $key, $value := .Values.gitea.config -}}
{{- if kindIs "map" $value -}}
{{- if $value -}}
{{- $lines := list -}}
{{- range $k, $v := $value -}}
{{- $lines = append $lines (printf "%s=%v" $k $v) -}}
{{- end -}}
{{- $_ := set $sections $key (join "\n" $lines) -}}
{{- end -}}
{{- else if has $key (list "APP_NAME" "RUN_USER" "RUN_MODE" "APP_SLOGAN" "APP_DISPLAY_NAME_FORMAT") -}}
{{- $generals = append $generals (printf "%s=%s" $key $value) -}}
{{- else -}}
{{- printf "Key %s cannot be on top level of configuration" $key | fail -}}
{{- end -}}
{{- end -}}
{{- $_ := set $sections "_generals_" (join "\n" $generals) -}}
{{- toYaml $sections -}}
{{- end -}}

{{- define "forgejo.inline_configuration.defaults" -}}
{{- $config := .Values.gitea.config -}}
{{- range $section := list "cache" "server" "metrics" "database" "security" "oauth2" "session" "queue" "queue.issue_indexer" "indexer" -}}
{{- if not (hasKey $config $section) -}}
{{- $_ := set $config $section dict -}}
{{- end -}}
{{- end -}}
{{- if not $config.repository -}}
{{- $_ := set $config "repository" dict -}}
{{- end -}}
{{- $server := $config.server -}}
{{- if not (hasKey $server "HTTP_PORT") -}}
{{- $_ := set $server "HTTP_PORT" .Values.service.http.port -}}
{{- end -}}
{{- if not $server.PROTOCOL -}}
{{- $_ := set $server "PROTOCOL" "http" -}}
{{- end -}}
{{- if not $server.DOMAIN -}}
{{- if .Values.ingress.hosts -}}
{{- $_ := set $server "DOMAIN" (tpl (index .Values.ingress.hosts 0).host $) -}}
{{- else -}}
{{- $_ := set $server "DOMAIN" (include "forgejo.default_domain" .) -}}
{{- end -}}
{{- end -}}
{{- if not $server.ROOT_URL -}}
{{- $_ := set $server "ROOT_URL" (printf "%s://%s" (include "forgejo.public_protocol" .) $server.DOMAIN) -}}
{{- end -}}
{{- if not $server.SSH_DOMAIN -}}
{{- $_ := set $server "SSH_DOMAIN" $server.DOMAIN -}}
{{- end -}}
{{- if not $server.SSH_PORT -}}
{{- $_ := set $server "SSH_PORT" .Values.service.ssh.port -}}
{{- end -}}
{{- if not (hasKey $server "SSH_LISTEN_PORT") -}}
{{- $_ := set $server "SSH_LISTEN_PORT" (ternary "2222" $server.SSH_PORT (.Values.image.rootless | default false)) -}}
{{- end -}}
{{- if and .Values.image.rootless (not (hasKey $server "START_SSH_SERVER")) -}}
{{- $_ := set $server "START_SSH_SERVER" "true" -}}
{{- end -}}
{{- if not (hasKey $server "APP_DATA_PATH") -}}
{{- $_ := set $server "APP_DATA_PATH" "/data" -}}
{{- end -}}
{{- if not (hasKey $server "ENABLE_PPROF") -}}
{{- $_ := set $server "ENABLE_PPROF" false -}}
{{- end -}}
{{- if not $config.database.DB_TYPE -}}
{{- $_ := set $config.database "DB_TYPE" "sqlite3" -}}
{{- end -}}
{{- if not $config.repository.ROOT -}}
{{- $_ := set $config.repository "ROOT" "/data/git/gitea-repositories" -}}
{{- end -}}
{{- if not $config.security.INSTALL_LOCK -}}
{{- $_ := set $config.security "INSTALL_LOCK" "true" -}}
{{- end -}}
{{- if not (hasKey $config.metrics "ENABLED") -}}
{{- $_ := set $config.metrics "ENABLED" .Values.gitea.metrics.enabled -}}
{{- end -}}
{{- if not $config.session.PROVIDER -}}
{{- $_ := set $config.session "PROVIDER" "memory" -}}
{{- end -}}
{{- if not $config.session.PROVIDER_CONFIG -}}
{{- $_ := set $config.session "PROVIDER_CONFIG" "" -}}
{{- end -}}
{{- if not $config.queue.TYPE -}}
{{- $_ := set $config.queue "TYPE" "level" -}}
{{- end -}}
{{- if not $config.queue.CONN_STR -}}
{{- $_ := set $config.queue "CONN_STR" "" -}}
{{- end -}}
{{- if not $config.cache.ADAPTER -}}
{{- $_ := set $config.cache "ADAPTER" "memory" -}}
{{- end -}}
{{- if not $config.cache.HOST -}}
{{- $_ := set $config.cache "HOST" "" -}}
{{- end -}}
{{- end -}}

{{/*
Names and labels. Every template here takes the chart's root context: from a parent chart that
depends on this one, pass the subchart's context, e.g. (index .Subcharts "didit-sidecar").
*/}}
{{- define "didit-sidecar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "didit-sidecar.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "didit-sidecar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "didit-sidecar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "didit-sidecar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "didit-sidecar.labels" -}}
helm.sh/chart: {{ include "didit-sidecar.chart" . }}
{{ include "didit-sidecar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: didit-sidecar
{{- end }}

{{/* The label that marks a pod as carrying this release's sidecar; the PodMonitor selects it. */}}
{{- define "didit-sidecar.podLabels" -}}
didit-sidecar/release: {{ include "didit-sidecar.fullname" . }}
{{- end }}

{{- define "didit-sidecar.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "didit-sidecar.apiKeySecret" -}}
{{- default (printf "%s-api-key" (include "didit-sidecar.fullname" .)) .Values.apiKey.existingSecret }}
{{- end }}

{{/*
The sidecar's config.yaml: the user's `config` with the keys the chart owns merged over it.
redis.enabled switches every store of shared state (idempotency, rate limits) to the same Redis.
Secrets stay out of it: ${VAR} references are expanded by the sidecar from its environment.
*/}}
{{- define "didit-sidecar.config" -}}
{{- $store := dict "type" (ternary "redis" "memory" .Values.redis.enabled) }}
{{- if .Values.redis.enabled }}
{{- $_ := set $store "url" (ternary "${DIDIT_SIDECAR_REDIS_URL}" .Values.redis.url (ne .Values.redis.existingSecret "")) }}
{{- end }}
{{- $owned := dict
  "listen" (dict "host" "127.0.0.1" "port" .Values.proxy.port)
  "admin" (dict "host" "0.0.0.0" "port" .Values.admin.port)
  "upstream" (dict "url" .Values.upstream.url "apiKey" "${DIDIT_API_KEY:-}")
  "idempotency" (dict "store" $store)
  "rateLimit" (dict "store" (deepCopy $store)) }}
{{- mustMergeOverwrite (deepCopy .Values.config) $owned | toYaml }}
{{- end }}

{{/* Pod annotations: a config change rolls the pods. */}}
{{- define "didit-sidecar.podAnnotations" -}}
checksum/config: {{ include "didit-sidecar.config" . | sha256sum }}
{{- end }}

{{/* The pod volume that holds config.yaml, as a list item. */}}
{{- define "didit-sidecar.volumes" -}}
- name: didit-sidecar-config
  configMap:
    name: {{ include "didit-sidecar.fullname" . }}
{{- end }}

{{/*
The sidecar as a Kubernetes native sidecar: one `initContainers` list item with
restartPolicy: Always, so that it starts before and stops after the application containers.
*/}}
{{- define "didit-sidecar.container" -}}
- name: didit-sidecar
  image: {{ include "didit-sidecar.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  restartPolicy: Always
  env:
    {{- /* The CLI reads its config path from here, whatever the image's entrypoint and arguments. */}}
    - name: DIDIT_SIDECAR_CONFIG
      value: /etc/didit-sidecar/config.yaml
    {{- if or .Values.apiKey.existingSecret .Values.apiKey.value }}
    - name: DIDIT_API_KEY
      valueFrom:
        secretKeyRef:
          name: {{ include "didit-sidecar.apiKeySecret" . }}
          key: {{ .Values.apiKey.existingSecretKey }}
    {{- end }}
    {{- if .Values.redis.enabled }}
    {{- if .Values.redis.passwordSecret.name }}
    - name: DIDIT_SIDECAR_REDIS_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ .Values.redis.passwordSecret.name }}
          key: {{ .Values.redis.passwordSecret.key }}
    {{- end }}
    {{- if .Values.redis.existingSecret }}
    - name: DIDIT_SIDECAR_REDIS_URL
      valueFrom:
        secretKeyRef:
          name: {{ .Values.redis.existingSecret }}
          key: {{ .Values.redis.existingSecretKey }}
    {{- end }}
    {{- end }}
    {{- with .Values.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    - name: {{ .Values.admin.portName }}
      containerPort: {{ .Values.admin.port }}
      protocol: TCP
  startupProbe:
    httpGet: {path: /healthz, port: {{ .Values.admin.portName }}}
    {{- toYaml .Values.probes.startup | nindent 4 }}
  livenessProbe:
    httpGet: {path: /healthz, port: {{ .Values.admin.portName }}}
    {{- toYaml .Values.probes.liveness | nindent 4 }}
  readinessProbe:
    httpGet: {path: /readyz, port: {{ .Values.admin.portName }}}
    {{- toYaml .Values.probes.readiness | nindent 4 }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
  volumeMounts:
    - name: didit-sidecar-config
      mountPath: /etc/didit-sidecar
      readOnly: true
{{- end }}

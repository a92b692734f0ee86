{{- define "tracee.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tracee.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tracee.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tracee.secretName" -}}
{{- .Values.output.elasticsearch.existingSecret | default (printf "%s-elasticsearch" (include "tracee.fullname" .)) -}}
{{- end -}}

{{- define "tracee.esOutput" -}}
{{- $es := .Values.output.elasticsearch -}}
{{- $opts := list (printf "index=%s" $es.index) -}}
{{- if or $es.apiKey (and $es.existingSecret (not $es.password) (not $es.user)) -}}
{{- $opts = append $opts "api-key-file=/etc/tracee/secrets/api-key" -}}
{{- else -}}
{{- $opts = append $opts (printf "user=%s" $es.user) -}}
{{- $opts = append $opts "password-file=/etc/tracee/secrets/password" -}}
{{- end -}}
{{- if $es.caCrt -}}
{{- $opts = append $opts "ca=/etc/tracee/secrets/ca.crt" -}}
{{- end -}}
{{- $opts = append $opts "spool-dir=/var/lib/tracee/spool/elasticsearch" -}}
{{- printf "elasticsearch:%s?%s" $es.url (join "&" $opts) -}}
{{- end -}}

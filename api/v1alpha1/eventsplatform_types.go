/*
Copyright 2026 The Events Platform Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultImage is the image repository of the platform binary when spec.image is empty.
const DefaultImage = "ghcr.io/events-platform/events-platform"

// PausedAnnotation, set to "true", pauses reconciliation like spec.paused does.
const PausedAnnotation = "platform.events-platform.io/paused"

// EventsPlatformSpec is the desired state of one events platform installation.
type EventsPlatformSpec struct {
	// Version is the tag of the platform image to run, such as "1.4.2". Changing it upgrades the
	// platform: the database migrations of the new version run first, and the services roll out
	// only once they have completed. A semantic version may not go back to an earlier minor
	// release, because migrations only move forward (a patch downgrade within the same minor
	// release is allowed); after a failed upgrade, fix forward with a newer version.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Za-z0-9_][A-Za-z0-9_.-]*$')",message="version must be a valid image tag: letters, digits, '_', '.' and '-', not starting with '.' or '-'"
	// +kubebuilder:validation:XValidation:rule="!isSemver(oldSelf, true) || !isSemver(self, true) || semver(self, true).compareTo(semver(oldSelf, true)) >= 0 || (semver(self, true).major() == semver(oldSelf, true).major() && semver(self, true).minor() == semver(oldSelf, true).minor())",message="version cannot go back to an earlier minor release: database migrations only move forward (a patch downgrade within the same minor release is allowed)"
	Version string `json:"version"`

	// Image is the repository of the platform image; the tag comes from version.
	// +kubebuilder:default="ghcr.io/events-platform/events-platform"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +optional
	Image string `json:"image,omitempty"`

	// ImagePullPolicy of every platform container. Defaults to IfNotPresent.
	// +kubebuilder:default=IfNotPresent
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	// +optional
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// ImagePullSecrets name Secrets in this namespace used to pull the platform image.
	// +listType=map
	// +listMapKey=name
	// +optional
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// LogLevel of every platform process.
	// +kubebuilder:default=info
	// +kubebuilder:validation:Enum=debug;info;warn;error
	// +optional
	LogLevel string `json:"logLevel,omitempty"`

	// Gateway is the public entry point: routing of /api/v1, authentication, rate limits and CORS.
	// +kubebuilder:default={}
	// +optional
	Gateway GatewaySpec `json:"gateway,omitzero"`

	// Services configures the domain services, one entry per service.
	// +kubebuilder:default={}
	// +optional
	Services ServicesSpec `json:"services,omitzero"`

	// Postgres is the platform's PostgreSQL database, run by the operator (managed, the default)
	// or provided from outside (external).
	// +kubebuilder:default={managed:{}}
	// +optional
	Postgres PostgresSpec `json:"postgres,omitzero"`

	// Redis holds caches, sessions and rate-limit counters; managed (the default) or external.
	// +kubebuilder:default={managed:{}}
	// +optional
	Redis RedisSpec `json:"redis,omitzero"`

	// NATS (with JetStream) carries the platform's domain events; managed (the default) or external.
	// +kubebuilder:default={managed:{}}
	// +optional
	NATS NATSSpec `json:"nats,omitzero"`

	// Retraining schedules the recommendation model retraining CronJob.
	// +kubebuilder:default={}
	// +optional
	Retraining RetrainingSpec `json:"retraining,omitzero"`

	// Migrations configures the Job that migrates the database schema for each version.
	// +kubebuilder:default={}
	// +optional
	Migrations MigrationsSpec `json:"migrations,omitzero"`

	// PodTemplate holds overrides applied to every pod the operator creates.
	// +optional
	PodTemplate PodTemplateOverrides `json:"podTemplate,omitzero"`

	// Monitoring creates Prometheus Operator objects, when their CRDs exist in the cluster.
	// +optional
	Monitoring MonitoringSpec `json:"monitoring,omitzero"`

	// NetworkPolicy restricts traffic: services accept it only from the gateway and each other,
	// and the managed dependencies only from the platform's pods.
	// +optional
	NetworkPolicy NetworkPolicySpec `json:"networkPolicy,omitzero"`

	// Paused stops the operator from changing anything of this platform (the annotation
	// platform.events-platform.io/paused: "true" does the same). Deletion still works.
	// +optional
	Paused bool `json:"paused,omitempty"`

	// RetainDataOnDelete keeps the PersistentVolumeClaims of the managed dependencies, and the
	// generated Secrets that open their data (the database password, the JWT signing key), when
	// the EventsPlatform is deleted, so that a platform created again with the same name in the
	// same namespace carries on with them. Defaults to true.
	// +kubebuilder:default=true
	// +optional
	RetainDataOnDelete *bool `json:"retainDataOnDelete,omitempty"`
}

// WorkloadSpec is what every platform Deployment has in common.
type WorkloadSpec struct {
	// Replicas is the number of pods. Ignored while autoscaling is set.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XValidation:rule="self >= 0",message="replicas must be zero or more"
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources of the container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`

	// Autoscaling, when set, creates a HorizontalPodAutoscaler and leaves replicas to it.
	// +optional
	Autoscaling *AutoscalingSpec `json:"autoscaling,omitempty"`

	// Env holds extra environment variables, added after the ones the operator sets.
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AutoscalingSpec configures a HorizontalPodAutoscaler on CPU utilisation.
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",message="autoscaling.minReplicas must not be greater than maxReplicas"
type AutoscalingSpec struct {
	// MinReplicas is the lower bound of the autoscaler.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XValidation:rule="self >= 1",message="autoscaling.minReplicas must be at least 1"
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas is the upper bound of the autoscaler.
	// +kubebuilder:validation:XValidation:rule="self >= 1",message="autoscaling.maxReplicas must be at least 1"
	MaxReplicas int32 `json:"maxReplicas"`

	// TargetCPUUtilization is the average CPU utilisation, in percent of the requests, to aim for.
	// +kubebuilder:default=75
	// +kubebuilder:validation:XValidation:rule="self >= 1 && self <= 100",message="autoscaling.targetCPUUtilization must be between 1 and 100"
	// +optional
	TargetCPUUtilization int32 `json:"targetCPUUtilization,omitempty"`
}

// GatewaySpec configures the API gateway.
type GatewaySpec struct {
	WorkloadSpec `json:",inline"`

	// Ingress exposes the gateway outside the cluster.
	// +optional
	Ingress IngressSpec `json:"ingress,omitzero"`

	// RateLimit is applied per client by the gateway.
	// +kubebuilder:default={}
	// +optional
	RateLimit RateLimitSpec `json:"rateLimit,omitzero"`

	// CORS settings of the gateway.
	// +optional
	CORS CORSSpec `json:"cors,omitzero"`
}

// IngressSpec configures the gateway's Ingress.
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || (has(self.host) && size(self.host) > 0)",message="ingress.tls needs ingress.host"
type IngressSpec struct {
	// Enabled creates the Ingress.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// ClassName is the IngressClass to use; the cluster default when empty.
	// +optional
	ClassName *string `json:"className,omitempty"`

	// Host is the public host name of the API, such as api.example.com.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="size(self) == 0 || self.matches('^([*][.])?[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="ingress.host must be a DNS name such as api.example.com"
	// +optional
	Host string `json:"host,omitempty"`

	// TLS terminates HTTPS at the Ingress with the certificate in the named Secret.
	// +optional
	TLS *IngressTLS `json:"tls,omitempty"`

	// Annotations added to the Ingress, for example for cert-manager or the ingress controller.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// IngressTLS names the certificate of the Ingress.
type IngressTLS struct {
	// SecretName is the Secret (kubernetes.io/tls) holding the certificate and key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
}

// RateLimitSpec configures the gateway's per-client token bucket.
type RateLimitSpec struct {
	// RequestsPerMinute is the sustained rate allowed per client.
	// +kubebuilder:default=600
	// +kubebuilder:validation:XValidation:rule="self >= 1",message="rateLimit.requestsPerMinute must be at least 1"
	// +optional
	RequestsPerMinute int32 `json:"requestsPerMinute,omitempty"`

	// Burst is the number of requests a client may make at once above the sustained rate.
	// +kubebuilder:default=100
	// +kubebuilder:validation:XValidation:rule="self >= 1",message="rateLimit.burst must be at least 1"
	// +optional
	Burst int32 `json:"burst,omitempty"`
}

// CORSSpec configures cross-origin requests at the gateway.
type CORSSpec struct {
	// AllowedOrigins are the origins browsers may call the API from, such as https://app.example.com.
	// "*" allows any origin.
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=512
	// +listType=set
	// +optional
	AllowedOrigins []string `json:"allowedOrigins,omitempty"`
}

// ServicesSpec configures each domain service.
type ServicesSpec struct {
	// Users: registration, login, tokens, profiles and roles.
	// +kubebuilder:default={}
	// +optional
	Users ServiceSpec `json:"users,omitzero"`
	// Events: event lifecycle, capacity, registrations and waitlists.
	// +kubebuilder:default={}
	// +optional
	Events ServiceSpec `json:"events,omitzero"`
	// Search: full-text search, filters, facets and suggestions.
	// +kubebuilder:default={}
	// +optional
	Search ServiceSpec `json:"search,omitzero"`
	// Realtime: the websocket gateway.
	// +kubebuilder:default={}
	// +optional
	Realtime ServiceSpec `json:"realtime,omitzero"`
	// Curation: collections, featured and trending feeds, moderation.
	// +kubebuilder:default={}
	// +optional
	Curation ServiceSpec `json:"curation,omitzero"`
	// Recommendations: serves the promoted recommendation model. Disabling it also removes the
	// retraining CronJob.
	// +kubebuilder:default={}
	// +optional
	Recommendations ServiceSpec `json:"recommendations,omitzero"`
	// Analytics: interaction ingestion, rollups and reports.
	// +kubebuilder:default={}
	// +optional
	Analytics ServiceSpec `json:"analytics,omitzero"`
}

// ServiceSpec configures one domain service.
type ServiceSpec struct {
	// Enabled runs the service, when this version provides it (see
	// status.providedServices). A disabled service's Deployment, Service, autoscaler and
	// disruption budget are removed, and the gateway answers its routes with 503.
	// +kubebuilder:default=true
	// +optional
	Enabled *bool `json:"enabled,omitempty"`

	WorkloadSpec `json:",inline"`
}

// PostgresSpec chooses between a managed and an external PostgreSQL.
// +kubebuilder:validation:XValidation:rule="has(self.managed) != has(self.external)",message="postgres: set exactly one of managed or external"
// +kubebuilder:validation:XValidation:rule="!has(self.readReplica) || has(self.external)",message="postgres: readReplica goes with external"
type PostgresSpec struct {
	// Managed runs PostgreSQL as a StatefulSet owned by this platform.
	// +optional
	Managed *ManagedPostgres `json:"managed,omitempty"`
	// External uses an existing PostgreSQL; the referenced Secret key holds its URL
	// (postgres://user:password@host:5432/db?sslmode=require).
	// +optional
	External *ExternalDependency `json:"external,omitempty"`
	// ReadReplica, with external, is a read-only replica of it (CloudNativePG's
	// <cluster>-ro service, say); the referenced Secret key holds its URL. The search
	// service reads there (DATABASE_READ_URL), which takes its reads off the primary.
	// +optional
	ReadReplica *ExternalDependency `json:"readReplica,omitempty"`
}

// RedisSpec chooses between a managed and an external Redis.
// +kubebuilder:validation:XValidation:rule="has(self.managed) != has(self.external)",message="redis: set exactly one of managed or external"
type RedisSpec struct {
	// Managed runs Redis as a StatefulSet owned by this platform.
	// +optional
	Managed *ManagedRedis `json:"managed,omitempty"`
	// External uses an existing Redis; the referenced Secret key holds its URL (redis://...).
	// +optional
	External *ExternalDependency `json:"external,omitempty"`
}

// NATSSpec chooses between a managed and an external NATS.
// +kubebuilder:validation:XValidation:rule="has(self.managed) != has(self.external)",message="nats: set exactly one of managed or external"
type NATSSpec struct {
	// Managed runs a NATS JetStream cluster as a StatefulSet owned by this platform.
	// +optional
	Managed *ManagedNATS `json:"managed,omitempty"`
	// External uses an existing NATS with JetStream; the referenced Secret key holds its URL (nats://...).
	// +optional
	External *ExternalDependency `json:"external,omitempty"`
}

// ManagedPostgres configures the operator-run PostgreSQL.
type ManagedPostgres struct {
	// Image of PostgreSQL (15 or newer, with the contrib extensions pg_trgm, cube and earthdistance).
	// +kubebuilder:default="docker.io/library/postgres:16"
	// +optional
	Image string `json:"image,omitempty"`
	// Storage of the data volume.
	// +kubebuilder:default={}
	// +optional
	Storage StorageSpec `json:"storage,omitzero"`
	// Resources of the PostgreSQL container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`
}

// ManagedRedis configures the operator-run Redis.
type ManagedRedis struct {
	// Image of Redis (6.2 or newer).
	// +kubebuilder:default="docker.io/library/redis:7"
	// +optional
	Image string `json:"image,omitempty"`
	// Storage of the append-only file volume.
	// +kubebuilder:default={size:"1Gi"}
	// +optional
	Storage StorageSpec `json:"storage,omitzero"`
	// Resources of the Redis container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`
}

// ManagedNATS configures the operator-run NATS JetStream cluster.
type ManagedNATS struct {
	// Image of the NATS server (2.9 or newer).
	// +kubebuilder:default="docker.io/library/nats:2.10"
	// +optional
	Image string `json:"image,omitempty"`
	// Replicas is the number of NATS servers: 1, or 3 or 5 for a clustered JetStream.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XValidation:rule="self == 1 || self == 3 || self == 5",message="nats.managed.replicas must be 1, 3 or 5 so that JetStream keeps a quorum"
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`
	// Storage of the JetStream volume of each server.
	// +kubebuilder:default={size:"5Gi"}
	// +optional
	Storage StorageSpec `json:"storage,omitzero"`
	// Resources of the NATS container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`
}

// StorageSpec is the persistent volume of a managed dependency. It is fixed once created: the
// StatefulSet's volume claim template cannot change (expand the PersistentVolumeClaims directly).
// +kubebuilder:validation:XValidation:rule="has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)",message="storageClassName is immutable"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.size) || (has(self.size) && self.size == oldSelf.size)",message="storage size is immutable: expand the PersistentVolumeClaims directly"
type StorageSpec struct {
	// Size of the volume.
	// +kubebuilder:default="10Gi"
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
	// StorageClassName of the volume; the cluster default when unset. Immutable.
	// +optional
	StorageClassName *string `json:"storageClassName,omitempty"`
}

// ExternalDependency points at a Secret holding the connection URL of a dependency the platform
// does not run. A change to that Secret rolls the pods that use it.
type ExternalDependency struct {
	// SecretRef names the Secret, in the platform's namespace, and the key holding the URL.
	SecretRef SecretKeyReference `json:"secretRef"`
}

// SecretKeyReference names a key of a Secret in the platform's namespace.
type SecretKeyReference struct {
	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Key of the Secret holding the value.
	// +kubebuilder:default=url
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +optional
	Key string `json:"key,omitempty"`
}

// RetrainingSpec configures the CronJob that retrains the recommendation models.
type RetrainingSpec struct {
	// Schedule in cron format (five fields, or a macro such as @daily). Every 6 hours by default.
	// +kubebuilder:default="0 */6 * * *"
	// +kubebuilder:validation:MaxLength=100
	// +kubebuilder:validation:XValidation:rule="self.matches('^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every [0-9a-z.]+|([*?]|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,([*?]|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*( +([*?]|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?(,([*?]|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/[0-9]+)?)*){4})$')",message="retraining.schedule must be a cron expression of five fields, such as '0 */6 * * *', or a macro such as @daily"
	// +optional
	Schedule string `json:"schedule,omitempty"`

	// Suspend stops new retraining runs; a running one finishes.
	// +optional
	Suspend bool `json:"suspend,omitempty"`

	// Models to train; all of them when empty.
	// +kubebuilder:validation:MaxItems=8
	// +listType=set
	// +optional
	Models []RetrainingModel `json:"models,omitempty"`

	// Resources of the retraining container.
	// +optional
	Resources corev1.ResourceRequirements `json:"resources,omitzero"`

	// SuccessfulJobsHistoryLimit is how many finished runs to keep.
	// +kubebuilder:default=3
	// +kubebuilder:validation:XValidation:rule="self >= 0",message="retraining.successfulJobsHistoryLimit must be zero or more"
	// +optional
	SuccessfulJobsHistoryLimit *int32 `json:"successfulJobsHistoryLimit,omitempty"`

	// FailedJobsHistoryLimit is how many failed runs to keep.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XValidation:rule="self >= 0",message="retraining.failedJobsHistoryLimit must be zero or more"
	// +optional
	FailedJobsHistoryLimit *int32 `json:"failedJobsHistoryLimit,omitempty"`
}

// RetrainingModel names a recommendation model family.
// +kubebuilder:validation:Enum=popularity;itemknn;als;bpr;content
type RetrainingModel string

// MigrationsSpec configures the schema migration Job.
type MigrationsSpec struct {
	// BackoffLimit is how many times a failing migration is retried before the upgrade is
	// reported as failed.
	// +kubebuilder:default=3
	// +kubebuilder:validation:XValidation:rule="self >= 0",message="migrations.backoffLimit must be zero or more"
	// +optional
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`

	// TTLSecondsAfterFinished deletes a finished migration Job after this many seconds; kept when unset.
	// +kubebuilder:validation:XValidation:rule="self >= 0",message="migrations.ttlSecondsAfterFinished must be zero or more"
	// +optional
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}

// PodTemplateOverrides apply to every pod of the platform and of its managed dependencies.
type PodTemplateOverrides struct {
	// Labels added to every pod.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Annotations added to every pod.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// NodeSelector of every pod.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`
	// Tolerations of every pod.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`
	// Affinity of every pod.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`
	// TopologySpreadConstraints of every pod. Their labelSelector is matched against the pod's
	// own labels, so app.kubernetes.io/component spreads each component on its own.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`
	// PriorityClassName of every pod.
	// +optional
	PriorityClassName string `json:"priorityClassName,omitempty"`
	// SecurityContext replaces the pod security context. The default satisfies the restricted
	// Pod Security Standard (non-root user 65532, seccomp RuntimeDefault).
	// +optional
	SecurityContext *corev1.PodSecurityContext `json:"securityContext,omitempty"`
}

// MonitoringSpec configures Prometheus Operator objects.
type MonitoringSpec struct {
	// ServiceMonitor scrapes /metrics of every platform service.
	// +optional
	ServiceMonitor ServiceMonitorSpec `json:"serviceMonitor,omitzero"`
	// PrometheusRule installs the platform's alerting rules.
	// +optional
	PrometheusRule PrometheusRuleSpec `json:"prometheusRule,omitzero"`
}

// ServiceMonitorSpec configures the ServiceMonitor.
type ServiceMonitorSpec struct {
	// Enabled creates the ServiceMonitor when the monitoring.coreos.com CRDs exist.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Interval between scrapes.
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Pattern=`^([0-9]+(ms|s|m|h))+$`
	// +optional
	Interval string `json:"interval,omitempty"`
	// Labels added to the ServiceMonitor, so that a Prometheus selects it.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// PrometheusRuleSpec configures the PrometheusRule.
type PrometheusRuleSpec struct {
	// Enabled creates the PrometheusRule when the monitoring.coreos.com CRDs exist.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
	// Labels added to the PrometheusRule, so that a Prometheus selects it.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
}

// NetworkPolicySpec configures the NetworkPolicies.
type NetworkPolicySpec struct {
	// Enabled creates the NetworkPolicies.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// EventsPlatformStatus is the observed state of the platform.
type EventsPlatformStatus struct {
	// ObservedGeneration is the generation of the spec last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase summarises the state: Pending, Provisioning, Migrating, Ready, Degraded, Paused or Failed.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Conditions: Ready, Progressing, Degraded, DependenciesReady, MigrationsComplete,
	// ServicesReady, GatewayReady, RetrainingScheduled and Paused.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// Components reports each workload: managed dependencies, services and the gateway.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`

	// ReadyComponents is "ready/total" over components, as the printer column shows it.
	// +optional
	ReadyComponents string `json:"readyComponents,omitempty"`

	// Endpoint is where the API is reached: the Ingress URL, or the gateway Service in the cluster.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`

	// SchemaVersion is the platform version whose database migrations last completed; the
	// services run this version.
	// +kubebuilder:validation:MaxLength=128
	// +optional
	SchemaVersion string `json:"schemaVersion,omitempty"`

	// ProvidedServices are the domain services this version of the operator and platform
	// provides, and so the only ones it deploys: a service the spec enables that is not
	// listed here is not deployed.
	// +optional
	ProvidedServices []string `json:"providedServices,omitempty"`

	// LastRetraining reports the most recent retraining run.
	// +optional
	LastRetraining *RetrainingRun `json:"lastRetraining,omitempty"`
}

// ComponentStatus is the state of one workload.
type ComponentStatus struct {
	// Name of the component, such as gateway, events or postgres.
	Name string `json:"name"`
	// Kind of the workload: Deployment or StatefulSet.
	Kind string `json:"kind"`
	// Desired number of pods.
	Desired int32 `json:"desired"`
	// Ready pods.
	Ready int32 `json:"ready"`
	// Updated pods, running the current template.
	Updated int32 `json:"updated"`
	// Image the workload runs.
	// +optional
	Image string `json:"image,omitempty"`
}

// RetrainingRun is the outcome of a retraining Job.
type RetrainingRun struct {
	// Time the run started.
	Time metav1.Time `json:"time"`
	// Result: Running, Succeeded or Failed.
	Result string `json:"result"`
	// Job is the name of the run's Job.
	// +optional
	Job string `json:"job,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=evp,categories=events-platform
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`,description="Whether the whole platform serves"
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`,description="Summary of the platform's state"
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`,description="Desired platform version"
// +kubebuilder:printcolumn:name="Components",type=string,JSONPath=`.status.readyComponents`,description="Ready components over all components"
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.status.endpoint`,description="Where the API is reached"
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// EventsPlatform runs a complete events platform: the API gateway, seven domain services,
// PostgreSQL, Redis and NATS (managed or external), the schema migrations and the model
// retraining, reconciled, observable and upgradable.
type EventsPlatform struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	// +required
	Spec EventsPlatformSpec `json:"spec"`

	// Status is the observed state, written by the operator.
	// +optional
	Status EventsPlatformStatus `json:"status,omitzero"`
}

// +kubebuilder:object:root=true

// EventsPlatformList is a list of EventsPlatform.
type EventsPlatformList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EventsPlatform `json:"items"`
}

func init() {
	SchemeBuilder.Register(&EventsPlatform{}, &EventsPlatformList{})
}

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

// Phase summarises an EventsPlatform's state for people; automation should read conditions.
// +kubebuilder:validation:Enum=Pending;Provisioning;Migrating;Ready;Degraded;Paused;Failed
type Phase string

const (
	// PhasePending: the operator has not reconciled this generation yet.
	PhasePending Phase = "Pending"
	// PhaseProvisioning: secrets and dependencies are being created or are not ready.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseMigrating: the migration Job of the desired version is running.
	PhaseMigrating Phase = "Migrating"
	// PhaseReady: every component of the desired version is available.
	PhaseReady Phase = "Ready"
	// PhaseDegraded: the platform was running but something is wrong (a failed migration, an
	// unavailable component); the previous version keeps serving where it can.
	PhaseDegraded Phase = "Degraded"
	// PhasePaused: reconciliation is paused.
	PhasePaused Phase = "Paused"
	// PhaseFailed: the platform cannot be provisioned as specified (such as a missing external Secret).
	PhaseFailed Phase = "Failed"
)

// Condition types.
const (
	// ConditionReady is True when every component of the desired version is available.
	ConditionReady = "Ready"
	// ConditionProgressing is True while the operator is moving the platform towards its spec.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when something that worked no longer does, or an upgrade failed.
	ConditionDegraded = "Degraded"
	// ConditionDependenciesReady is True when PostgreSQL, Redis and NATS are reachable or ready.
	ConditionDependenciesReady = "DependenciesReady"
	// ConditionMigrationsComplete is True when the schema migrations of spec.version completed.
	ConditionMigrationsComplete = "MigrationsComplete"
	// ConditionServicesReady is True when every enabled service is available at spec.version.
	ConditionServicesReady = "ServicesReady"
	// ConditionGatewayReady is True when the gateway is available at spec.version.
	ConditionGatewayReady = "GatewayReady"
	// ConditionRetrainingScheduled is True when the retraining CronJob exists and is not suspended.
	ConditionRetrainingScheduled = "RetrainingScheduled"
	// ConditionPaused is True while reconciliation is paused.
	ConditionPaused = "Paused"
)

// Condition reasons.
const (
	ReasonReconciling          = "Reconciling"
	ReasonAvailable            = "Available"
	ReasonNotReconciled        = "NotReconciled"
	ReasonSecretNotFound       = "SecretNotFound"
	ReasonSecretKeyMissing     = "SecretKeyMissing"
	ReasonDependenciesNotReady = "DependenciesNotReady"
	ReasonWaitingForDependency = "WaitingForDependencies"
	ReasonMigrationPending     = "MigrationPending"
	ReasonMigrationRunning     = "MigrationRunning"
	ReasonMigrationSucceeded   = "MigrationSucceeded"
	ReasonMigrationFailed      = "MigrationFailed"
	ReasonWaitingForMigration  = "WaitingForMigration"
	ReasonRollingOut           = "RollingOut"
	ReasonUnavailable          = "Unavailable"
	ReasonScheduled            = "Scheduled"
	ReasonSuspended            = "Suspended"
	ReasonDisabled             = "Disabled"
	// ReasonNotProvided: this version of the platform does not have the component yet.
	ReasonNotProvided    = "NotProvided"
	ReasonPaused         = "Paused"
	ReasonNotPaused      = "NotPaused"
	ReasonAsExpected     = "AsExpected"
	ReasonReconcileError = "ReconcileError"
)

// Retraining results in status.lastRetraining.result.
const (
	RetrainingRunning   = "Running"
	RetrainingSucceeded = "Succeeded"
	RetrainingFailed    = "Failed"
)

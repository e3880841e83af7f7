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

package controllers

import (
	"context"
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// Each version's schema migrations run once, in a Job named after the version, with that
// version's image. The services move to a version only once its Job has completed; until then
// (and for good if it fails) they keep running the version migrated before, recorded in
// status.schemaVersion.

// migrationVersionAnnotation on a migration Job holds the exact version it migrates to.
const migrationVersionAnnotation = "platform.events-platform.io/version"

// desiredMigrationJob runs `platform migrate up` with the image of version.
func desiredMigrationJob(p *platformv1alpha1.EventsPlatform, version string) *batchv1.Job {
	c := platformContainer(p, "migrate", version, []string{"migrate", "up"}, platformEnv(p))
	c.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resourceQuantity("100m"), corev1.ResourceMemory: resourceQuantity("128Mi"),
	}}
	om := objectMeta(p, migrationJobName(p, version), componentMigrations)
	om.Annotations = map[string]string{migrationVersionAnnotation: version}
	return &batchv1.Job{
		ObjectMeta: om,
		Spec: batchv1.JobSpec{
			BackoffLimit:            ptr.To(ptr.Deref(p.Spec.Migrations.BackoffLimit, 3)),
			TTLSecondsAfterFinished: p.Spec.Migrations.TTLSecondsAfterFinished,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: podTemplateMeta(p, componentMigrations, nil),
				Spec:       platformPodSpec(p, c, corev1.RestartPolicyNever),
			},
		},
	}
}

// jobOutcome is what a Job's conditions say.
type jobOutcome struct {
	done, failed    bool
	reason, message string
}

func outcomeOf(job *batchv1.Job) jobOutcome {
	for _, c := range job.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return jobOutcome{done: true}
		case batchv1.JobFailed:
			return jobOutcome{failed: true, reason: c.Reason, message: c.Message}
		}
	}
	return jobOutcome{}
}

// reconcileMigrations starts the migration Job of spec.version, follows it, and decides which
// version the services run.
func (r *EventsPlatformReconciler) reconcileMigrations(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	want := p.Spec.Version
	if p.Status.SchemaVersion == want {
		s.runVersion = want
		s.setCondition(platformv1alpha1.ConditionMigrationsComplete, metav1.ConditionTrue,
			platformv1alpha1.ReasonMigrationSucceeded, fmt.Sprintf("The database schema is migrated for version %s", want))
		return nil, r.pruneMigrationJobs(ctx, p, want)
	}

	name := migrationJobName(p, want)
	job := &batchv1.Job{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: name}, job)
	switch {
	case apierrors.IsNotFound(err) && !s.dependenciesReady:
		s.setCondition(platformv1alpha1.ConditionMigrationsComplete, metav1.ConditionFalse, platformv1alpha1.ReasonWaitingForDependency,
			fmt.Sprintf("The migrations of version %s start once the dependencies are ready", want))
		s.runVersion = p.Status.SchemaVersion
		return nil, nil
	case apierrors.IsNotFound(err):
		// A Job's template cannot change: it is created once and then only read.
		if _, err := r.applier.apply(ctx, desiredMigrationJob(p, want)); err != nil {
			return nil, err
		}
		r.event(p, corev1.EventTypeNormal, platformv1alpha1.ReasonMigrationRunning, "Migrate",
			"Started migration Job %s for version %s", name, want)
		job = nil
	case err != nil:
		return nil, fmt.Errorf("get job %s: %w", name, err)
	case job.Annotations[migrationVersionAnnotation] != want:
		// Another version whose name maps to the same Job name: replace it.
		if _, err := r.applier.deleteOwned(ctx, p, job); err != nil {
			return nil, err
		}
		return &ctrl.Result{RequeueAfter: requeueSoon}, nil
	}

	outcome := jobOutcome{}
	if job != nil {
		outcome = outcomeOf(job)
	}
	switch {
	case outcome.done:
		r.event(p, corev1.EventTypeNormal, platformv1alpha1.ReasonMigrationSucceeded, "Migrate",
			"Migrated the database schema for version %s", want)
		p.Status.SchemaVersion = want
		s.runVersion = want
		s.setCondition(platformv1alpha1.ConditionMigrationsComplete, metav1.ConditionTrue,
			platformv1alpha1.ReasonMigrationSucceeded, fmt.Sprintf("The database schema is migrated for version %s", want))
	case outcome.failed:
		msg := fmt.Sprintf("Migration Job %s for version %s failed: %s: %s", name, want, outcome.reason, outcome.message)
		if c := findCondition(p, platformv1alpha1.ConditionMigrationsComplete); c == nil || c.Reason != platformv1alpha1.ReasonMigrationFailed {
			r.event(p, corev1.EventTypeWarning, platformv1alpha1.ReasonMigrationFailed, "Migrate", "%s", msg)
		}
		s.setCondition(platformv1alpha1.ConditionMigrationsComplete, metav1.ConditionFalse, platformv1alpha1.ReasonMigrationFailed, msg)
	default:
		s.setCondition(platformv1alpha1.ConditionMigrationsComplete, metav1.ConditionFalse, platformv1alpha1.ReasonMigrationRunning,
			fmt.Sprintf("Migrating the database schema for version %s (Job %s)", want, name))
	}

	if s.runVersion == "" {
		s.runVersion = p.Status.SchemaVersion
	}
	if s.runVersion == "" {
		return s.block(platformv1alpha1.ReasonWaitingForMigration,
			fmt.Sprintf("The services start once the migrations of version %s have completed", want)), nil
	}
	return nil, nil
}

// pruneMigrationJobs deletes the finished migration Jobs of other versions once the current
// version is migrated.
func (r *EventsPlatformReconciler) pruneMigrationJobs(ctx context.Context, p *platformv1alpha1.EventsPlatform, keep string) error {
	var jobs batchv1.JobList
	if err := r.Client.List(ctx, &jobs, client.InNamespace(p.Namespace),
		client.MatchingLabels(objectLabels(p, componentMigrations))); err != nil {
		return fmt.Errorf("list migration jobs: %w", err)
	}
	for i := range jobs.Items {
		job := &jobs.Items[i]
		if job.Annotations[migrationVersionAnnotation] == keep {
			continue
		}
		if o := outcomeOf(job); !o.done && !o.failed {
			continue
		}
		if _, err := r.applier.deleteOwned(ctx, p, job); err != nil {
			return err
		}
	}
	return nil
}

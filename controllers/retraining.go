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
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// The recommendation models are retrained by a CronJob running `platform retrain`, which
// promotes a new model only when it passes the quality gate. Runs never overlap. The CronJob
// exists only when this version's binary has the command (catalog.HasRetrain) and the
// recommendations service is deployed.

// desiredRetrainingCronJob runs the retraining at a version on the platform's schedule.
func desiredRetrainingCronJob(p *platformv1alpha1.EventsPlatform, version, configHash string) *batchv1.CronJob {
	rt := p.Spec.Retraining
	env := platformEnv(p)
	if len(rt.Models) > 0 {
		models := make([]string, len(rt.Models))
		for i, m := range rt.Models {
			models[i] = string(m)
		}
		env = append(env, corev1.EnvVar{Name: "RETRAIN_MODELS", Value: strings.Join(models, ",")})
	}
	c := platformContainer(p, "retrain", version, []string{"retrain"}, env)
	c.Resources = resourcesOr(rt.Resources, "500m", "512Mi")
	schedule := rt.Schedule
	if schedule == "" {
		schedule = "0 */6 * * *"
	}
	return &batchv1.CronJob{
		ObjectMeta: objectMeta(p, childName(p, "retrain"), componentRetraining),
		Spec: batchv1.CronJobSpec{
			Schedule:                   schedule,
			Suspend:                    ptr.To(rt.Suspend),
			ConcurrencyPolicy:          batchv1.ForbidConcurrent,
			StartingDeadlineSeconds:    ptr.To(int64(600)),
			SuccessfulJobsHistoryLimit: ptr.To(ptr.Deref(rt.SuccessfulJobsHistoryLimit, 3)),
			FailedJobsHistoryLimit:     ptr.To(ptr.Deref(rt.FailedJobsHistoryLimit, 1)),
			JobTemplate: batchv1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: objectLabels(p, componentRetraining)},
				Spec: batchv1.JobSpec{
					BackoffLimit: ptr.To(int32(1)),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: podTemplateMeta(p, componentRetraining, map[string]string{configHashAnnotation: configHash}),
						Spec:       platformPodSpec(p, c, corev1.RestartPolicyNever),
					},
				},
			},
		},
	}
}

// reconcileRetraining applies the retraining CronJob while the binary has `retrain` and the
// recommendations service runs, and reports the last run.
func (r *EventsPlatformReconciler) reconcileRetraining(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	cj := desiredRetrainingCronJob(p, s.runVersion, s.configHash())
	reason, why := "", ""
	switch {
	case !catalog.HasRetrain:
		reason, why = platformv1alpha1.ReasonNotProvided, "This version has no retrain command"
	case !p.Spec.Services.Recommendations.IsEnabled():
		reason, why = platformv1alpha1.ReasonDisabled, "The recommendations service is disabled"
	case !catalog.IsProvided(platformv1alpha1.ComponentRecommendations):
		reason, why = platformv1alpha1.ReasonNotProvided, "This version has no recommendations service"
	}
	if reason != "" {
		if _, err := r.applier.deleteOwned(ctx, p, &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: cj.Namespace, Name: cj.Name}}); err != nil {
			return nil, err
		}
		s.setCondition(platformv1alpha1.ConditionRetrainingScheduled, metav1.ConditionFalse, reason, why)
		return nil, nil
	}
	if _, err := r.applier.apply(ctx, cj); err != nil {
		return nil, err
	}
	if p.Spec.Retraining.Suspend {
		s.setCondition(platformv1alpha1.ConditionRetrainingScheduled, metav1.ConditionFalse, platformv1alpha1.ReasonSuspended,
			"Retraining is suspended")
	} else {
		s.setCondition(platformv1alpha1.ConditionRetrainingScheduled, metav1.ConditionTrue, platformv1alpha1.ReasonScheduled,
			fmt.Sprintf("Retraining runs on the schedule %q", cj.Spec.Schedule))
	}
	last, err := r.lastRetraining(ctx, p)
	if err != nil {
		return nil, err
	}
	p.Status.LastRetraining = last
	return nil, nil
}

// lastRetraining reports the newest retraining Job, or nil when none has run.
func (r *EventsPlatformReconciler) lastRetraining(ctx context.Context, p *platformv1alpha1.EventsPlatform) (*platformv1alpha1.RetrainingRun, error) {
	var jobs batchv1.JobList
	if err := r.Client.List(ctx, &jobs, client.InNamespace(p.Namespace),
		client.MatchingLabels(selectorLabels(p, componentRetraining))); err != nil {
		return nil, fmt.Errorf("list retraining jobs: %w", err)
	}
	var newest *batchv1.Job
	for i := range jobs.Items {
		if j := &jobs.Items[i]; newest == nil || newest.CreationTimestamp.Before(&j.CreationTimestamp) {
			newest = j
		}
	}
	if newest == nil {
		return p.Status.LastRetraining, nil
	}
	run := &platformv1alpha1.RetrainingRun{Time: newest.CreationTimestamp, Job: newest.Name, Result: platformv1alpha1.RetrainingRunning}
	if newest.Status.StartTime != nil {
		run.Time = *newest.Status.StartTime
	}
	switch o := outcomeOf(newest); {
	case o.done:
		run.Result = platformv1alpha1.RetrainingSucceeded
	case o.failed:
		run.Result = platformv1alpha1.RetrainingFailed
	}
	return run, nil
}

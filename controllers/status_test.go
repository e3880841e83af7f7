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
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

func TestDeploymentState(t *testing.T) {
	dep := func(gen, observed int64, replicas, updated, available, total int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Spec: appsv1.DeploymentSpec{Replicas: ptr.To(replicas), Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Image: "img:1"}}},
			}},
			Status: appsv1.DeploymentStatus{ObservedGeneration: observed, UpdatedReplicas: updated,
				AvailableReplicas: available, Replicas: total},
		}
	}
	progressing := func(d *appsv1.Deployment, status corev1.ConditionStatus, reason string) *appsv1.Deployment {
		d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: status, Reason: reason}}
		return d
	}
	tests := []struct {
		name              string
		d                 *appsv1.Deployment
		ready, rollingOut bool
	}{
		{"available", dep(2, 2, 2, 2, 2, 2), true, false},
		{"new generation not observed", dep(3, 2, 2, 2, 2, 2), false, true},
		{"old pods left", dep(2, 2, 2, 2, 2, 3), false, true},
		{"pods not available", dep(2, 2, 2, 2, 1, 2), false, false},
		// What a real cluster reports: a first start or a scale-up is progressing until its
		// pods are available; a pod lost after the rollout, or a rollout past its deadline, is not.
		{"first pods starting", progressing(dep(1, 1, 1, 1, 0, 1), corev1.ConditionTrue, "NewReplicaSetCreated"), false, true},
		{"scaling up", progressing(dep(3, 3, 2, 2, 1, 2), corev1.ConditionTrue, "ReplicaSetUpdated"), false, true},
		{"a pod lost after the rollout", progressing(dep(2, 2, 2, 2, 1, 2), corev1.ConditionTrue, "NewReplicaSetAvailable"), false, false},
		{"past the progress deadline", progressing(dep(2, 2, 2, 2, 1, 2), corev1.ConditionFalse, "ProgressDeadlineExceeded"), false, false},
		{"rolled out", progressing(dep(2, 2, 2, 2, 2, 2), corev1.ConditionTrue, "NewReplicaSetAvailable"), true, false},
	}
	for _, tt := range tests {
		got := deploymentState(tt.d, "events")
		if got.ready != tt.ready || got.rollingOut != tt.rollingOut {
			t.Errorf("%s: ready=%v rollingOut=%v, want %v %v", tt.name, got.ready, got.rollingOut, tt.ready, tt.rollingOut)
		}
	}
}

// TestPhases derives the phase from the step conditions, as the status step does.
func TestPhases(t *testing.T) {
	type cond struct {
		t, reason string
		status    metav1.ConditionStatus
	}
	all := func(override ...cond) []cond {
		base := map[string]cond{}
		for _, t := range []string{platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ConditionMigrationsComplete,
			platformv1alpha1.ConditionServicesReady, platformv1alpha1.ConditionGatewayReady} {
			base[t] = cond{t, platformv1alpha1.ReasonAvailable, metav1.ConditionTrue}
		}
		for _, o := range override {
			base[o.t] = o
		}
		var out []cond
		for _, c := range base {
			out = append(out, c)
		}
		return out
	}
	tests := []struct {
		name       string
		conditions []cond
		migrated   string
		paused     bool
		want       platformv1alpha1.Phase
		wantReady  metav1.ConditionStatus
	}{
		{"all ready", all(), "1.0.0", false, platformv1alpha1.PhaseReady, metav1.ConditionTrue},
		{"paused", all(), "1.0.0", true, platformv1alpha1.PhasePaused, metav1.ConditionTrue},
		{"secret missing", all(cond{platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ReasonSecretNotFound, metav1.ConditionFalse}),
			"", false, platformv1alpha1.PhaseFailed, metav1.ConditionFalse},
		{"installing dependencies", all(cond{platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ReasonDependenciesNotReady, metav1.ConditionFalse}),
			"", false, platformv1alpha1.PhaseProvisioning, metav1.ConditionFalse},
		{"dependency lost", all(cond{platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ReasonDependenciesNotReady, metav1.ConditionFalse}),
			"1.0.0", false, platformv1alpha1.PhaseDegraded, metav1.ConditionFalse},
		{"migrating", all(cond{platformv1alpha1.ConditionMigrationsComplete, platformv1alpha1.ReasonMigrationRunning, metav1.ConditionFalse}),
			"", false, platformv1alpha1.PhaseMigrating, metav1.ConditionFalse},
		{"migration failed", all(cond{platformv1alpha1.ConditionMigrationsComplete, platformv1alpha1.ReasonMigrationFailed, metav1.ConditionFalse}),
			"1.0.0", false, platformv1alpha1.PhaseDegraded, metav1.ConditionFalse},
		{"rolling out", all(cond{platformv1alpha1.ConditionServicesReady, platformv1alpha1.ReasonRollingOut, metav1.ConditionFalse}),
			"1.0.0", false, platformv1alpha1.PhaseProvisioning, metav1.ConditionFalse},
		{"service down", all(cond{platformv1alpha1.ConditionGatewayReady, platformv1alpha1.ReasonUnavailable, metav1.ConditionFalse}),
			"1.0.0", false, platformv1alpha1.PhaseDegraded, metav1.ConditionFalse},
	}
	for _, tt := range tests {
		p := samplePlatform()
		p.Spec.Paused = tt.paused
		p.Status.SchemaVersion = tt.migrated
		s := newScope(p, testLogger())
		if tt.paused {
			// A paused platform keeps the Ready it had for this generation.
			s.setCondition(platformv1alpha1.ConditionReady, metav1.ConditionTrue, platformv1alpha1.ReasonAvailable, "")
		}
		for _, c := range tt.conditions {
			s.setCondition(c.t, c.status, c.reason, "")
		}
		(&EventsPlatformReconciler{}).summaryConditions(s, nil)
		if p.Status.Phase != tt.want {
			t.Errorf("%s: phase = %s, want %s", tt.name, p.Status.Phase, tt.want)
		}
		if got := findCondition(p, platformv1alpha1.ConditionReady); got.Status != tt.wantReady {
			t.Errorf("%s: Ready = %s, want %s", tt.name, got.Status, tt.wantReady)
		}
	}
}

func TestReadyNeverTrueForAnUnreconciledGeneration(t *testing.T) {
	p := samplePlatform()
	s := newScope(p, testLogger())
	for _, c := range []string{platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ConditionMigrationsComplete,
		platformv1alpha1.ConditionServicesReady, platformv1alpha1.ConditionGatewayReady} {
		s.setCondition(c, metav1.ConditionTrue, platformv1alpha1.ReasonAvailable, "")
	}
	p.Generation = 2 // the spec changed after those conditions were set
	(&EventsPlatformReconciler{}).summaryConditions(newScope(p, testLogger()), nil)
	if c := findCondition(p, platformv1alpha1.ConditionReady); c.Status == metav1.ConditionTrue {
		t.Errorf("Ready is True for generation 2 from conditions of generation 1")
	}
}

// TestStartingGrace: a service whose pods are not available outside a rollout (a scale-up,
// a replaced pod) is starting for startingGrace after its condition turned false, then
// unavailable; the reconcile is asked to come back when the grace ends.
func TestStartingGrace(t *testing.T) {
	states := map[string]workloadState{"search": {status: platformv1alpha1.ComponentStatus{
		Name: "search", Desired: 2, Ready: 1, Updated: 2, Image: "img:1"}}}
	tests := []struct {
		name        string
		prev        *metav1.Condition
		wantReason  string
		wantRecheck bool
	}{
		{"was ready", &metav1.Condition{Status: metav1.ConditionTrue, LastTransitionTime: metav1.Now()},
			platformv1alpha1.ReasonRollingOut, true},
		{"no condition yet", nil, platformv1alpha1.ReasonRollingOut, true},
		{"false for a moment", &metav1.Condition{Status: metav1.ConditionFalse, Reason: platformv1alpha1.ReasonRollingOut,
			LastTransitionTime: metav1.NewTime(time.Now().Add(-10 * time.Second))}, platformv1alpha1.ReasonRollingOut, true},
		{"false for longer than a pod may take to start", &metav1.Condition{Status: metav1.ConditionFalse,
			Reason: platformv1alpha1.ReasonRollingOut, LastTransitionTime: metav1.NewTime(time.Now().Add(-startingGrace - time.Second))},
			platformv1alpha1.ReasonUnavailable, false},
	}
	for _, tt := range tests {
		p := &platformv1alpha1.EventsPlatform{}
		if tt.prev != nil {
			tt.prev.Type = platformv1alpha1.ConditionServicesReady
			p.Status.Conditions = []metav1.Condition{*tt.prev}
		}
		s := newScope(p, logr.Discard())
		s.componentsCondition(platformv1alpha1.ConditionServicesReady, []string{"search"}, states, "img:1", "Services")
		got := findCondition(p, platformv1alpha1.ConditionServicesReady)
		if got.Reason != tt.wantReason || (s.recheck > 0) != tt.wantRecheck || s.recheck > startingGrace {
			t.Errorf("%s: reason %s, recheck %s; want %s, recheck %v", tt.name, got.Reason, s.recheck, tt.wantReason, tt.wantRecheck)
		}
	}
}

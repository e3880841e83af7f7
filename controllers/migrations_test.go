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
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func TestMigrationJobName(t *testing.T) {
	long := strings.Repeat("x", 80)
	tests := []struct {
		version string
		want    string
	}{
		{"1.0.0", "demo-migrate-1-0-0"},
		{"1.4.2-rc1", "demo-migrate-1-4-2-rc1"},
		{"1.4.2-RC1", "demo-migrate-1-4-2-rc1-"},
		{"v2_beta", "demo-migrate-v2-beta-"},
		{long, "demo-migrate-xxx"},
	}
	p := samplePlatform()
	for _, tt := range tests {
		got := migrationJobName(p, tt.version)
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("migrationJobName(%q) = %q, want prefix %q", tt.version, got, tt.want)
		}
		if len(got) > 63 {
			t.Errorf("migrationJobName(%q) = %q is longer than 63 characters", tt.version, got)
		}
	}
	if a, b := migrationJobName(p, "1.4.2-RC1"), migrationJobName(p, "1.4.2-rc1"); a == b {
		t.Errorf("versions differing in case share the Job name %q", a)
	}
}

func TestDesiredMigrationJob(t *testing.T) {
	p := samplePlatform()
	p.Spec.Migrations.BackoffLimit = ptr.To(int32(5))
	p.Spec.Migrations.TTLSecondsAfterFinished = ptr.To(int32(600))
	job := desiredMigrationJob(p, "1.1.0")

	c := job.Spec.Template.Spec.Containers[0]
	if got, want := c.Image, "ghcr.io/events-platform/events-platform:1.1.0"; got != want {
		t.Errorf("image = %q, want %q", got, want)
	}
	if got, want := strings.Join(c.Args, " "), "migrate up"; got != want {
		t.Errorf("args = %q, want %q", got, want)
	}
	if got := job.Spec.Template.Spec.RestartPolicy; got != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy = %s, want Never", got)
	}
	if got := ptr.Deref(job.Spec.BackoffLimit, 0); got != 5 {
		t.Errorf("backoffLimit = %d, want 5", got)
	}
	if got := ptr.Deref(job.Spec.TTLSecondsAfterFinished, 0); got != 600 {
		t.Errorf("ttlSecondsAfterFinished = %d, want 600", got)
	}
	if got := job.Annotations[migrationVersionAnnotation]; got != "1.1.0" {
		t.Errorf("version annotation = %q, want 1.1.0", got)
	}
}

func TestOutcomeOf(t *testing.T) {
	cond := func(t batchv1.JobConditionType, s corev1.ConditionStatus) batchv1.JobCondition {
		return batchv1.JobCondition{Type: t, Status: s, Reason: "R", Message: "M"}
	}
	tests := []struct {
		name       string
		conditions []batchv1.JobCondition
		want       jobOutcome
	}{
		{"running", nil, jobOutcome{}},
		{"complete", []batchv1.JobCondition{cond(batchv1.JobSuccessCriteriaMet, "True"), cond(batchv1.JobComplete, "True")}, jobOutcome{done: true}},
		{"failed", []batchv1.JobCondition{cond(batchv1.JobFailed, "True")}, jobOutcome{failed: true, reason: "R", message: "M"}},
		{"failure not final", []batchv1.JobCondition{cond(batchv1.JobFailed, "False")}, jobOutcome{}},
	}
	for _, tt := range tests {
		got := outcomeOf(&batchv1.Job{Status: batchv1.JobStatus{Conditions: tt.conditions}})
		if got != tt.want {
			t.Errorf("%s: outcome = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

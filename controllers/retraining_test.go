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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

func TestDesiredRetrainingCronJob(t *testing.T) {
	p := samplePlatform()
	p.Spec.Retraining = platformv1alpha1.RetrainingSpec{
		Schedule: "30 2 * * *", Suspend: true,
		Models:                     []platformv1alpha1.RetrainingModel{"als", "content"},
		SuccessfulJobsHistoryLimit: ptr.To(int32(5)),
	}
	cj := desiredRetrainingCronJob(p, "1.2.0", "h")
	if cj.Spec.Schedule != "30 2 * * *" {
		t.Errorf("schedule = %q", cj.Spec.Schedule)
	}
	if !ptr.Deref(cj.Spec.Suspend, false) {
		t.Error("suspend is not set")
	}
	if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
		t.Errorf("concurrencyPolicy = %s, want Forbid", cj.Spec.ConcurrencyPolicy)
	}
	if got := ptr.Deref(cj.Spec.SuccessfulJobsHistoryLimit, 0); got != 5 {
		t.Errorf("successfulJobsHistoryLimit = %d, want 5", got)
	}
	if got := ptr.Deref(cj.Spec.FailedJobsHistoryLimit, 0); got != 1 {
		t.Errorf("failedJobsHistoryLimit = %d, want 1", got)
	}
	c := cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0]
	if c.Image != "ghcr.io/events-platform/events-platform:1.2.0" || len(c.Args) != 1 || c.Args[0] != "retrain" {
		t.Errorf("container runs %s %v, want the 1.2.0 image with retrain", c.Image, c.Args)
	}
	if got := envOf(c)["RETRAIN_MODELS"].Value; got != "als,content" {
		t.Errorf("RETRAIN_MODELS = %q, want als,content", got)
	}
	if got := cj.Spec.JobTemplate.Labels[labelComponent]; got != componentRetraining {
		t.Errorf("job label component = %q, want %q", got, componentRetraining)
	}
}

var _ = Describe("The retraining CronJob", func() {
	It("exists only when this version's binary has retrain and runs recommendations", func() {
		p := newPlatform(newNamespace(), "mini", "1.0.0")
		bringUp(p)
		cj := &batchv1.CronJob{}
		if catalog.HasRetrain && catalog.IsProvided(platformv1alpha1.ComponentRecommendations) {
			Eventually(func() error { return k8sClient.Get(ctx, key(p, "mini-retrain"), cj) }, eventually, poll).Should(Succeed())
			Expect(conditionOf(p, platformv1alpha1.ConditionRetrainingScheduled)()).To(HaveField("Status", metav1.ConditionTrue))
			return
		}
		Expect(k8sClient.Get(ctx, key(p, "mini-retrain"), cj)).To(Satisfy(apierrors.IsNotFound),
			"a CronJob running `platform retrain`, which this version does not have")
		c := conditionOf(p, platformv1alpha1.ConditionRetrainingScheduled)()
		Expect(c).NotTo(BeNil())
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Reason).To(Equal(platformv1alpha1.ReasonNotProvided))
		Expect(c.ObservedGeneration).To(Equal(getPlatform(p).Generation))
	})
})

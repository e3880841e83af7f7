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
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// The envtest control plane runs no controllers: these fixtures play the part of the
// StatefulSet, Job and Deployment controllers by writing the status they would write.

// newPlatform is the minimal sample: everything managed, defaults.
func newPlatform(namespace, name, version string) *platformv1alpha1.EventsPlatform {
	return &platformv1alpha1.EventsPlatform{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec:       platformv1alpha1.EventsPlatformSpec{Version: version},
	}
}

func getPlatform(p *platformv1alpha1.EventsPlatform) *platformv1alpha1.EventsPlatform {
	GinkgoHelper()
	got := &platformv1alpha1.EventsPlatform{}
	Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got)).To(Succeed())
	return got
}

// phaseOf polls the platform's phase.
func phaseOf(p *platformv1alpha1.EventsPlatform) func() platformv1alpha1.Phase {
	return func() platformv1alpha1.Phase {
		got := &platformv1alpha1.EventsPlatform{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
			return ""
		}
		return got.Status.Phase
	}
}

// conditionOf polls one condition of the platform.
func conditionOf(p *platformv1alpha1.EventsPlatform, conditionType string) func() *metav1.Condition {
	return func() *metav1.Condition {
		got := &platformv1alpha1.EventsPlatform{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
			return nil
		}
		return meta.FindStatusCondition(got.Status.Conditions, conditionType)
	}
}

// updatePlatform changes the platform's spec, retrying on conflicts.
func updatePlatform(p *platformv1alpha1.EventsPlatform, change func(*platformv1alpha1.EventsPlatform)) {
	Eventually(func() error {
		got := &platformv1alpha1.EventsPlatform{}
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
			return err
		}
		change(got)
		return k8sClient.Update(ctx, got)
	}, eventually, poll).Should(Succeed())
}

func key(p *platformv1alpha1.EventsPlatform, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: p.Namespace, Name: name}
}

// markStatefulSetsReady reports every replica of the platform's StatefulSets ready.
func markStatefulSetsReady(p *platformv1alpha1.EventsPlatform, components ...string) {
	for _, c := range components {
		Eventually(func() error {
			sts := &appsv1.StatefulSet{}
			if err := k8sClient.Get(ctx, key(p, childName(p, c)), sts); err != nil {
				return err
			}
			n := ptr.Deref(sts.Spec.Replicas, 1)
			sts.Status = appsv1.StatefulSetStatus{
				ObservedGeneration: sts.Generation, Replicas: n, ReadyReplicas: n,
				CurrentReplicas: n, UpdatedReplicas: n, AvailableReplicas: n,
			}
			return k8sClient.Status().Update(ctx, sts)
		}, eventually, poll).Should(Succeed())
	}
}

func markAllDependenciesReady(p *platformv1alpha1.EventsPlatform) {
	markStatefulSetsReady(p, platformv1alpha1.ComponentPostgres, platformv1alpha1.ComponentRedis, platformv1alpha1.ComponentNATS)
}

// finishJob marks a Job complete, or failed with BackoffLimitExceeded.
func finishJob(namespace, name string, succeeded bool) {
	Eventually(func() error {
		job := &batchv1.Job{}
		if err := k8sClient.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, job); err != nil {
			return err
		}
		now := metav1.Now()
		start := metav1.NewTime(now.Add(-time.Second))
		job.Status.StartTime = &start
		if succeeded {
			job.Status.Succeeded = 1
			job.Status.CompletionTime = &now
			job.Status.Conditions = []batchv1.JobCondition{
				{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods"},
				{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "CompletionsReached", Message: "Reached expected number of succeeded pods"},
			}
		} else {
			job.Status.Failed = ptr.Deref(job.Spec.BackoffLimit, 0) + 1
			job.Status.Conditions = []batchv1.JobCondition{
				{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
				{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, LastTransitionTime: now, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"},
			}
		}
		return k8sClient.Status().Update(ctx, job)
	}, eventually, poll).Should(Succeed())
}

// markDeploymentsAvailable reports every pod of every Deployment of the platform available.
func markDeploymentsAvailable(p *platformv1alpha1.EventsPlatform) {
	Eventually(func() error {
		var list appsv1.DeploymentList
		if err := k8sClient.List(ctx, &list, client.InNamespace(p.Namespace), client.MatchingLabels(instanceLabels(p))); err != nil {
			return err
		}
		if len(list.Items) == 0 {
			return fmt.Errorf("no deployments yet")
		}
		for i := range list.Items {
			d := &list.Items[i]
			n := ptr.Deref(d.Spec.Replicas, 1)
			d.Status = appsv1.DeploymentStatus{
				ObservedGeneration: d.Generation, Replicas: n, UpdatedReplicas: n,
				ReadyReplicas: n, AvailableReplicas: n,
			}
			if err := k8sClient.Status().Update(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}, eventually, poll).Should(Succeed())
}

// deploymentImages maps each Deployment of the platform to its image.
func deploymentImages(p *platformv1alpha1.EventsPlatform) map[string]string {
	var list appsv1.DeploymentList
	Expect(k8sClient.List(ctx, &list, client.InNamespace(p.Namespace), client.MatchingLabels(instanceLabels(p)))).To(Succeed())
	images := map[string]string{}
	for _, d := range list.Items {
		images[d.Labels[labelComponent]] = d.Spec.Template.Spec.Containers[0].Image
	}
	return images
}

// allDeployments are the Deployment components of a default platform: the gateway and
// every service this version provides.
var allDeployments = append([]string{platformv1alpha1.ComponentGateway}, catalog.ProvidedNames()...)

// allComponents is "ready/total" of a default platform that is Ready: the three managed
// dependencies and allDeployments.
var allComponents = fmt.Sprintf("%[1]d/%[1]d", 3+len(allDeployments))

// imagesAll is the image map of every Deployment at one image.
func imagesAll(image string) map[string]string {
	m := map[string]string{}
	for _, c := range allDeployments {
		m[c] = image
	}
	return m
}

// bringUp takes a new platform to Ready: dependencies ready, migration complete, Deployments
// available.
func bringUp(p *platformv1alpha1.EventsPlatform) {
	Expect(k8sClient.Create(ctx, p)).To(Succeed())
	markAllDependenciesReady(p)
	finishJob(p.Namespace, migrationJobName(p, p.Spec.Version), true)
	Eventually(func() map[string]string { return deploymentImages(p) }, eventually, poll).
		Should(Equal(imagesAll(p.ImageRef(p.Spec.Version))))
	markDeploymentsAvailable(p)
	Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseReady))
}

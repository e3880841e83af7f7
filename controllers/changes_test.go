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

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

var _ = Describe("Changing a running EventsPlatform", func() {
	var p *platformv1alpha1.EventsPlatform
	BeforeEach(func() {
		p = newPlatform(newNamespace(), "shop", "2.0.0")
		bringUp(p)
	})

	deployment := func(component string) func() *appsv1.Deployment {
		return func() *appsv1.Deployment {
			d := &appsv1.Deployment{}
			if err := k8sClient.Get(ctx, key(p, childName(p, component)), d); err != nil {
				return nil
			}
			return d
		}
	}

	It("writes nothing when there is nothing to do", func() {
		before := resourceVersions(p)
		writesBefore := writes.in(p.Namespace)
		for range 3 {
			_, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(p)})
			Expect(err).NotTo(HaveOccurred())
		}
		n := writes.in(p.Namespace) - writesBefore
		AddReportEntry("API writes of a no-op reconcile", n)
		GinkgoWriter.Printf("API writes of 3 no-op reconciles: %d\n", n)
		Expect(n).To(BeZero())
		Expect(resourceVersions(p)).To(Equal(before))
	})

	It("scales a service and protects it with a disruption budget", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Services.Search.Replicas = ptr.To(int32(3)) })
		Eventually(deployment("search"), eventually, poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(3))))
		pdb := &policyv1.PodDisruptionBudget{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-search"), pdb) }, eventually, poll).Should(Succeed())
		Expect(pdb.Spec.MaxUnavailable.IntValue()).To(Equal(1))

		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Services.Search.Replicas = ptr.To(int32(1)) })
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-search"), &policyv1.PodDisruptionBudget{}) }, eventually, poll).
			Should(Satisfy(apierrors.IsNotFound))
	})

	It("gives the realtime service, scaled out, what every service gets: a Service, probes, a budget and time to drain", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Services.Realtime.Replicas = ptr.To(int32(2)) })
		Eventually(deployment("realtime"), eventually, poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(2))))
		pod := deployment("realtime")().Spec.Template.Spec
		// 30 s in which a stopping replica tells its clients to reconnect (close code 3001)
		// before the kubelet's SIGKILL.
		Expect(pod.TerminationGracePeriodSeconds).To(HaveValue(BeEquivalentTo(30)))
		Expect(pod.Containers[0].Args).To(Equal([]string{"serve", "--target=realtime"}))
		Expect(pod.Containers[0].ReadinessProbe.HTTPGet.Path).To(Equal("/readyz"))
		Expect(pod.Containers[0].LivenessProbe.HTTPGet.Path).To(Equal("/health"))
		env := envMap(pod.Containers[0].Env)
		Expect(env).To(HaveKey("REDIS_URL"))
		Expect(env).To(HaveKey("NATS_URL"))
		Expect(env).To(HaveKey("DATABASE_URL"))

		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, key(p, "shop-realtime"), svc)).To(Succeed())
		Expect(svc.Spec.Selector).To(Equal(selectorLabels(p, "realtime")))
		pdb := &policyv1.PodDisruptionBudget{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-realtime"), pdb) }, eventually, poll).Should(Succeed())
		Expect(pdb.Spec.MaxUnavailable.IntValue()).To(Equal(1))
		Expect(pdb.Spec.Selector.MatchLabels).To(Equal(selectorLabels(p, "realtime")))
	})

	It("hands the replicas of an autoscaled service to a HorizontalPodAutoscaler", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) {
			p.Spec.Services.Events.Autoscaling = &platformv1alpha1.AutoscalingSpec{MinReplicas: ptr.To(int32(2)), MaxReplicas: 6}
		})
		hpa := &autoscalingv2.HorizontalPodAutoscaler{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-events"), hpa) }, eventually, poll).Should(Succeed())
		Expect(hpa.Spec.MinReplicas).To(HaveValue(BeEquivalentTo(2)))
		Expect(hpa.Spec.MaxReplicas).To(BeEquivalentTo(6))
		Expect(hpa.Spec.ScaleTargetRef.Name).To(Equal("shop-events"))
		Expect(hpa.Spec.Metrics[0].Resource.Target.AverageUtilization).To(HaveValue(BeEquivalentTo(75)))
		Eventually(func() []metav1.ManagedFieldsEntry {
			d := deployment("events")()
			var ours []metav1.ManagedFieldsEntry
			for _, m := range d.ManagedFields {
				if m.Manager == fieldOwner && m.FieldsV1 != nil && containsField(m.FieldsV1.Raw, `"f:replicas"`) {
					ours = append(ours, m)
				}
			}
			return ours
		}, eventually, poll).Should(BeEmpty(), "the operator no longer owns spec.replicas")

		By("letting the autoscaler scale without the operator undoing it")
		Eventually(func() error {
			d := deployment("events")()
			d.Spec.Replicas = ptr.To(int32(5))
			return k8sClient.Update(ctx, d, client.FieldOwner("horizontal-pod-autoscaler"))
		}, eventually, poll).Should(Succeed())
		Consistently(deployment("events"), "1s", poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(5))))
	})

	It("removes the objects of a disabled service and its gateway route", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Services.Search.Enabled = ptr.To(false) })
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-search"), &appsv1.Deployment{}) }, eventually, poll).
			Should(Satisfy(apierrors.IsNotFound))
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-search"), &corev1.Service{}) }, eventually, poll).
			Should(Satisfy(apierrors.IsNotFound))
		Eventually(func() map[string]string {
			return envMap(deployment("gateway")().Spec.Template.Spec.Containers[0].Env)
		}, eventually, poll).ShouldNot(HaveKey("SEARCH_URL"))
		total := 3 + len(allDeployments) - 1
		Eventually(func() string { return getPlatform(p).Status.ReadyComponents }, eventually, poll).Should(Equal(fmt.Sprintf("%d/%d", total-1, total)),
			"the gateway rolls out without the route")
		markDeploymentsAvailable(p)
		Eventually(func() string { return getPlatform(p).Status.ReadyComponents }, eventually, poll).Should(Equal(fmt.Sprintf("%d/%d", total, total)))
		Expect(phaseOf(p)()).To(Equal(platformv1alpha1.PhaseReady))
	})

	It("stops changing anything while paused, and catches up when resumed", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Paused = true })
		Eventually(conditionOf(p, platformv1alpha1.ConditionPaused), eventually, poll).Should(HaveField("Status", metav1.ConditionTrue))
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhasePaused))

		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Services.Users.Replicas = ptr.To(int32(4)) })
		Consistently(deployment("users"), "1s", poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(1))))
		Expect(conditionOf(p, platformv1alpha1.ConditionReady)()).NotTo(HaveField("Status", metav1.ConditionTrue),
			"Ready is not True for a generation that was not reconciled")

		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) {
			p.Spec.Paused = false
			p.Annotations = map[string]string{platformv1alpha1.PausedAnnotation: "true"}
		})
		Consistently(deployment("users"), "1s", poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(1))))

		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { delete(p.Annotations, platformv1alpha1.PausedAnnotation) })
		Eventually(deployment("users"), eventually, poll).Should(HaveField("Spec.Replicas", HaveValue(BeEquivalentTo(4))))
		Eventually(conditionOf(p, platformv1alpha1.ConditionPaused), eventually, poll).Should(HaveField("Status", metav1.ConditionFalse))
	})

	It("rolls the pods when a Secret they read changes", func() {
		hash := func() string { return deployment("events")().Spec.Template.Annotations[configHashAnnotation] }
		first := hash()
		Expect(first).NotTo(BeEmpty())

		pg := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key(p, "shop-postgres-credentials"), pg)).To(Succeed())
		pg.Data["url"] = []byte("postgres://platform:rotated@shop-postgres:5432/platform")
		Expect(k8sClient.Update(ctx, pg)).To(Succeed())
		Eventually(hash, eventually, poll).ShouldNot(Equal(first))
		// The Deployments are applied one after another: the gateway's may follow.
		Eventually(func() string { return deployment("gateway")().Spec.Template.Annotations[configHashAnnotation] }, eventually, poll).
			Should(Equal(hash()))
	})

	It("applies the production options: ingress with TLS, network policies, managed NATS cluster", func() {
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) {
			p.Spec.Gateway.Ingress = platformv1alpha1.IngressSpec{
				Enabled: true, ClassName: ptr.To("nginx"), Host: "api.example.com",
				TLS: &platformv1alpha1.IngressTLS{SecretName: "api-tls"},
			}
			p.Spec.NetworkPolicy.Enabled = true
			p.Spec.NATS.Managed.Replicas = ptr.To(int32(3))
		})
		ing := &networkingv1.Ingress{}
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-gateway"), ing) }, eventually, poll).Should(Succeed())
		Expect(ing.Spec.TLS).To(ConsistOf(networkingv1.IngressTLS{Hosts: []string{"api.example.com"}, SecretName: "api-tls"}))
		Expect(ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name).To(Equal("shop-gateway"))
		Eventually(func() string { return getPlatform(p).Status.Endpoint }, eventually, poll).Should(Equal("https://api.example.com"))

		var policies networkingv1.NetworkPolicyList
		Eventually(func() int {
			Expect(k8sClient.List(ctx, &policies, client.InNamespace(p.Namespace))).To(Succeed())
			return len(policies.Items)
		}, eventually, poll).Should(Equal(3))

		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-nats"), &policyv1.PodDisruptionBudget{}) }, eventually, poll).Should(Succeed())
		sts := &appsv1.StatefulSet{}
		Expect(k8sClient.Get(ctx, key(p, "shop-nats"), sts)).To(Succeed())
		Expect(sts.Spec.Replicas).To(HaveValue(BeEquivalentTo(3)))
		Expect(sts.Spec.Template.Spec.Containers[0].Args).To(ContainElement("--routes"))
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseDegraded),
			"NATS has 1 of 3 servers ready, after the platform ran")

		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.Gateway.Ingress.Enabled = false })
		Eventually(func() error { return k8sClient.Get(ctx, key(p, "shop-gateway"), &networkingv1.Ingress{}) }, eventually, poll).
			Should(Satisfy(apierrors.IsNotFound))
	})

	It("does not overwrite the generated Secrets", func() {
		jwt := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key(p, "shop-jwt"), jwt)).To(Succeed())
		updatePlatform(p, func(p *platformv1alpha1.EventsPlatform) { p.Spec.LogLevel = "debug" })
		Eventually(func() map[string]string {
			return envMap(deployment("users")().Spec.Template.Spec.Containers[0].Env)
		}, eventually, poll).Should(HaveKeyWithValue("LOG_LEVEL", "debug"))
		again := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, key(p, "shop-jwt"), again)).To(Succeed())
		Expect(again.Data).To(Equal(jwt.Data))
		Expect(again.ResourceVersion).To(Equal(jwt.ResourceVersion))
	})
})

var _ = Describe("An EventsPlatform with external dependencies", func() {
	It("reports a missing Secret clearly and proceeds once it exists", func() {
		ns := newNamespace()
		p := newPlatform(ns, "ext", "1.0.0")
		p.Spec.Postgres = platformv1alpha1.PostgresSpec{
			External:    &platformv1alpha1.ExternalDependency{SecretRef: platformv1alpha1.SecretKeyReference{Name: "pg", Key: "uri"}},
			ReadReplica: &platformv1alpha1.ExternalDependency{SecretRef: platformv1alpha1.SecretKeyReference{Name: "pg-ro"}},
		}
		Expect(k8sClient.Create(ctx, p)).To(Succeed())

		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseFailed))
		c := conditionOf(p, platformv1alpha1.ConditionDependenciesReady)()
		Expect(c.Status).To(Equal(metav1.ConditionFalse))
		Expect(c.Reason).To(Equal(platformv1alpha1.ReasonSecretNotFound))
		Expect(c.Message).To(Equal(`postgres.external.secretRef: Secret "pg" not found in namespace "` + ns + `"; ` +
			`postgres.readReplica.secretRef: Secret "pg-ro" not found in namespace "` + ns + `"`))
		Expect(k8sClient.Get(ctx, key(p, "ext-postgres"), &appsv1.StatefulSet{})).To(Satisfy(apierrors.IsNotFound))
		Expect(k8sClient.Get(ctx, key(p, "ext-postgres-credentials"), &corev1.Secret{})).To(Satisfy(apierrors.IsNotFound))

		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pg", Namespace: ns}, Data: map[string][]byte{"url": []byte("x")}}
		Expect(k8sClient.Create(ctx, secret)).To(Succeed())
		Eventually(conditionOf(p, platformv1alpha1.ConditionDependenciesReady), eventually, poll).
			Should(HaveField("Reason", platformv1alpha1.ReasonSecretKeyMissing))

		secret.Data = map[string][]byte{"uri": []byte("postgres://app:pw@db.example.com:5432/events")}
		Expect(k8sClient.Update(ctx, secret)).To(Succeed())
		Eventually(conditionOf(p, platformv1alpha1.ConditionDependenciesReady), eventually, poll).
			Should(HaveField("Message", `postgres.readReplica.secretRef: Secret "pg-ro" not found in namespace "`+ns+`"`))
		replica := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "pg-ro", Namespace: ns},
			Data: map[string][]byte{"url": []byte("postgres://app:pw@db-ro.example.com:5432/events")}}
		Expect(k8sClient.Create(ctx, replica)).To(Succeed())
		markStatefulSetsReady(p, platformv1alpha1.ComponentRedis, platformv1alpha1.ComponentNATS)
		Eventually(phaseOf(p), eventually, poll).Should(Equal(platformv1alpha1.PhaseMigrating))
		job := &batchv1.Job{}
		Expect(k8sClient.Get(ctx, key(p, "ext-migrate-1-0-0"), job)).To(Succeed())
		Expect(job.Spec.Template.Spec.Containers[0].Env).To(ContainElement(corev1.EnvVar{
			Name: "DATABASE_URL",
			ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: "pg"}, Key: "uri",
			}},
		}))
	})
})

// resourceVersions maps every object in the platform's namespace to its resourceVersion.
func resourceVersions(p *platformv1alpha1.EventsPlatform) map[string]string {
	GinkgoHelper()
	rv := map[string]string{}
	lists := map[string]client.ObjectList{
		"Deployment": &appsv1.DeploymentList{}, "StatefulSet": &appsv1.StatefulSetList{},
		"Service": &corev1.ServiceList{}, "Secret": &corev1.SecretList{}, "Job": &batchv1.JobList{},
		"CronJob": &batchv1.CronJobList{}, "EventsPlatform": &platformv1alpha1.EventsPlatformList{},
	}
	for kind, list := range lists {
		Expect(k8sClient.List(context.Background(), list, client.InNamespace(p.Namespace))).To(Succeed())
		Expect(eachObject(list, func(o client.Object) { rv[kind+"/"+o.GetName()] = o.GetResourceVersion() })).To(Succeed())
	}
	return rv
}

func eachObject(list client.ObjectList, fn func(client.Object)) error {
	return meta.EachListItem(list, func(o runtime.Object) error {
		fn(o.(client.Object))
		return nil
	})
}

func containsField(raw []byte, field string) bool {
	return strings.Contains(string(raw), field)
}

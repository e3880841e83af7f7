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
	"encoding/json"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

var _ = Describe("The EventsPlatform API", func() {
	It("defaults a minimal resource to a fully managed platform", func() {
		ns := newNamespace()
		p := &platformv1alpha1.EventsPlatform{
			ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: ns},
			Spec:       platformv1alpha1.EventsPlatformSpec{Version: "1.0.0"},
		}
		Expect(k8sClient.Create(ctx, p)).To(Succeed())

		Expect(p.Spec.Image).To(Equal(platformv1alpha1.DefaultImage))
		Expect(p.Spec.Postgres.Managed).NotTo(BeNil())
		Expect(p.Spec.Postgres.External).To(BeNil())
		Expect(p.Spec.Postgres.Managed.Storage.Size).To(HaveValue(Equal(resource.MustParse("10Gi"))))
		Expect(p.Spec.Redis.Managed).NotTo(BeNil())
		Expect(p.Spec.NATS.Managed.Replicas).To(HaveValue(BeEquivalentTo(1)))
		Expect(p.Spec.Services.Search.IsEnabled()).To(BeTrue())
		Expect(p.Spec.Services.Search.Replicas).To(HaveValue(BeEquivalentTo(1)))
		Expect(p.Spec.Gateway.RateLimit.RequestsPerMinute).To(BeEquivalentTo(600))
		Expect(p.Spec.Retraining.Schedule).To(Equal("0 */6 * * *"))
		Expect(p.Spec.Migrations.BackoffLimit).To(HaveValue(BeEquivalentTo(3)))
		Expect(p.RetainsData()).To(BeTrue())
	})
})

// createRaw creates an EventsPlatform from a JSON spec, as kubectl would send it.
func createRaw(namespace, spec string) error {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(platformv1alpha1.GroupVersion.WithKind("EventsPlatform"))
	u.SetNamespace(namespace)
	u.SetGenerateName("bad-")
	var m map[string]any
	Expect(json.Unmarshal([]byte(spec), &m)).To(Succeed())
	u.Object["spec"] = m
	return k8sClient.Create(ctx, u)
}

var _ = Describe("Validation of EventsPlatform by the API server", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("rejects what cannot be valid, saying why",
		func(spec, message string) {
			err := createRaw(ns, spec)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("both managed and external postgres",
			`{"version":"1.0.0","postgres":{"managed":{},"external":{"secretRef":{"name":"pg"}}}}`,
			"postgres: set exactly one of managed or external"),
		Entry("neither managed nor external redis",
			`{"version":"1.0.0","redis":{}}`,
			"redis: set exactly one of managed or external"),
		Entry("negative replicas",
			`{"version":"1.0.0","services":{"search":{"replicas":-1}}}`,
			"replicas must be zero or more"),
		Entry("a schedule that is not cron",
			`{"version":"1.0.0","retraining":{"schedule":"every 6 hours"}}`,
			"retraining.schedule must be a cron expression of five fields"),
		Entry("a four-field schedule",
			`{"version":"1.0.0","retraining":{"schedule":"*/6 * * *"}}`,
			"retraining.schedule must be a cron expression of five fields"),
		Entry("autoscaling with min above max",
			`{"version":"1.0.0","services":{"events":{"autoscaling":{"minReplicas":5,"maxReplicas":2}}}}`,
			"autoscaling.minReplicas must not be greater than maxReplicas"),
		Entry("an even NATS cluster",
			`{"version":"1.0.0","nats":{"managed":{"replicas":2}}}`,
			"nats.managed.replicas must be 1, 3 or 5"),
		Entry("TLS without a host",
			`{"version":"1.0.0","gateway":{"ingress":{"enabled":true,"tls":{"secretName":"tls"}}}}`,
			"ingress.tls needs ingress.host"),
		Entry("a version that is no image tag",
			`{"version":"1.0 beta"}`,
			"version must be a valid image tag"),
		Entry("an external dependency without a Secret name",
			`{"version":"1.0.0","nats":{"external":{"secretRef":{"name":""}}}}`,
			"spec.nats.external.secretRef.name"),
	)

	It("keeps the storage class of a managed dependency", func() {
		p := newPlatform(ns, "storage", "1.0.0")
		p.Spec.Paused = true
		p.Spec.Postgres.Managed = &platformv1alpha1.ManagedPostgres{Storage: platformv1alpha1.StorageSpec{StorageClassName: ptr.To("fast")}}
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			got := getPlatform(p)
			got.Spec.Postgres.Managed.Storage.StorageClassName = ptr.To("slow")
			return k8sClient.Update(ctx, got)
		})
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("storageClassName is immutable"))
	})

	It("refuses going back to an earlier minor version, since migrations only move forward", func() {
		p := newPlatform(ns, "downgrade", "1.3.0")
		p.Spec.Paused = true
		Expect(k8sClient.Create(ctx, p)).To(Succeed())
		setVersion := func(v string) error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				got := getPlatform(p)
				got.Spec.Version = v
				return k8sClient.Update(ctx, got)
			})
		}
		for _, allowed := range []string{"1.3.1", "1.3.0", "1.4.0", "v1.4.0", "1.4.0-hotfix", "1.4.0"} {
			Expect(setVersion(allowed)).To(Succeed(), allowed)
		}
		err := setVersion("1.3.9")
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring("version cannot go back to an earlier minor release"))
	})
})

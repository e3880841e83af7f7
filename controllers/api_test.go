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
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

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

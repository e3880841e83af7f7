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
	"slices"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

func TestDesiredDeployment(t *testing.T) {
	p := samplePlatform()
	p.Spec.Services.Search.Replicas = ptr.To(int32(3))
	p.Spec.Services.Search.Env = []corev1.EnvVar{{Name: "SEARCH_TYPO_TOLERANCE", Value: "2"}}
	p.Spec.Services.Events.Autoscaling = &platformv1alpha1.AutoscalingSpec{MaxReplicas: 5}
	p.Spec.PodTemplate.NodeSelector = map[string]string{"pool": "apps"}
	p.Spec.PodTemplate.Labels = map[string]string{"team": "events", labelComponent: "spoofed"}

	search := desiredDeployment(p, "search", "1.0.0", "hash1")
	if got := ptr.Deref(search.Spec.Replicas, 0); got != 3 {
		t.Errorf("search replicas = %d, want 3", got)
	}
	c := search.Spec.Template.Spec.Containers[0]
	if got := envOf(c)["SEARCH_TYPO_TOLERANCE"].Value; got != "2" {
		t.Errorf("extra env = %q, want 2", got)
	}
	if _, ok := envOf(c)["JWT_PRIVATE_KEY_FILE"]; ok {
		t.Error("search gets the signing key")
	}
	if got := search.Spec.Template.Annotations[configHashAnnotation]; got != "hash1" {
		t.Errorf("config hash = %q, want hash1", got)
	}
	if got := search.Spec.Template.Labels[labelComponent]; got != "search" {
		t.Errorf("pod component label = %q, want search (the selector cannot be overridden)", got)
	}
	if got := search.Spec.Template.Labels["team"]; got != "events" {
		t.Errorf("pod label team = %q, want events", got)
	}
	if got := search.Spec.Template.Spec.NodeSelector["pool"]; got != "apps" {
		t.Errorf("nodeSelector pool = %q, want apps", got)
	}
	for _, v := range search.Spec.Template.Spec.Volumes {
		if v.Name == "jwt" && len(v.Secret.Items) != 1 {
			t.Errorf("search mounts %d JWT keys, want only public.pem", len(v.Secret.Items))
		}
	}

	if events := desiredDeployment(p, "events", "1.0.0", "h"); events.Spec.Replicas != nil {
		t.Errorf("autoscaled events sets replicas %d, want it left to the autoscaler", *events.Spec.Replicas)
	}

	users := desiredDeployment(p, "users", "1.0.0", "h")
	if got := envOf(users.Spec.Template.Spec.Containers[0])["JWT_PRIVATE_KEY_FILE"].Value; got != "/etc/platform/jwt/private.pem" {
		t.Errorf("users JWT_PRIVATE_KEY_FILE = %q", got)
	}
}

func TestDesiredDeploymentExternalDatabase(t *testing.T) {
	p := samplePlatform()
	p.Spec.Postgres = platformv1alpha1.PostgresSpec{External: &platformv1alpha1.ExternalDependency{
		SecretRef: platformv1alpha1.SecretKeyReference{Name: "db", Key: "dsn"},
	}}
	env := envOf(desiredDeployment(p, "events", "1.0.0", "h").Spec.Template.Spec.Containers[0])
	ref := env["DATABASE_URL"].ValueFrom.SecretKeyRef
	if ref.Name != "db" || ref.Key != "dsn" {
		t.Errorf("DATABASE_URL from %s/%s, want db/dsn", ref.Name, ref.Key)
	}
	if _, ok := env["DATABASE_READ_URL"]; ok {
		t.Errorf("DATABASE_READ_URL without a read replica")
	}
	// A read replica: search reads there.
	p.Spec.Postgres.ReadReplica = &platformv1alpha1.ExternalDependency{SecretRef: platformv1alpha1.SecretKeyReference{Name: "db-ro"}}
	env = envOf(desiredDeployment(p, "search", "1.0.0", "h").Spec.Template.Spec.Containers[0])
	if ref := env["DATABASE_READ_URL"].ValueFrom; ref == nil || ref.SecretKeyRef.Name != "db-ro" || ref.SecretKeyRef.Key != "url" {
		t.Errorf("DATABASE_READ_URL from %+v, want db-ro/url", ref)
	}
	if got := indexSecretRefs(p); !slices.Contains(got, "db-ro") {
		t.Errorf("the replica's Secret is not watched: %v", got)
	}
}

func TestDesiredService(t *testing.T) {
	svc := desiredService(samplePlatform(), "analytics")
	if got, want := svc.Name, "demo-analytics"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got := svc.Spec.Ports[0].Port; got != 8080 {
		t.Errorf("port = %d, want 8080", got)
	}
	if got := svc.Labels[metricsLabel]; got != "true" {
		t.Errorf("metrics label = %q, want true", got)
	}
}

var _ = Describe("The services this version provides", func() {
	It("are the only ones the minimal sample deploys, and the status lists them", func() {
		p := newPlatform(newNamespace(), "mini", "1.0.0")
		// The minimal sample enables every service, planned ones too; say so explicitly.
		p.Spec.Services.Realtime.Enabled = ptr.To(true)
		bringUp(p)

		var list appsv1.DeploymentList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(p.Namespace), client.MatchingLabels(instanceLabels(p)))).To(Succeed())
		var targets []string
		for _, d := range list.Items {
			targets = append(targets, d.Spec.Template.Spec.Containers[0].Args...)
		}
		var want []string
		for _, t := range catalog.Targets() {
			want = append(want, "serve", "--target="+t)
		}
		Expect(targets).To(ConsistOf(want), "one Deployment per provided service and the gateway")
		for _, s := range catalog.Services() {
			if s.Provided {
				continue
			}
			Expect(k8sClient.Get(ctx, key(p, "mini-"+s.Name), &appsv1.Deployment{})).To(Satisfy(apierrors.IsNotFound), s.Name)
			Expect(k8sClient.Get(ctx, key(p, "mini-"+s.Name), &corev1.Service{})).To(Satisfy(apierrors.IsNotFound), s.Name)
		}
		got := getPlatform(p)
		Expect(got.Status.ProvidedServices).To(Equal(catalog.ProvidedNames()))
		Expect(got.Status.Phase).To(Equal(platformv1alpha1.PhaseReady), "planned services do not hold Ready back")
		out, err := kubectl("get", "evp", "mini", "-n", p.Namespace, "-o", "jsonpath={.status.providedServices}")
		Expect(err).NotTo(HaveOccurred(), out)
		for _, name := range catalog.ProvidedNames() {
			Expect(out).To(ContainSubstring(`"` + name + `"`))
		}
	})
})

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

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// samplePlatform is a platform as the API server returns the minimal sample, defaults applied.
func samplePlatform() *platformv1alpha1.EventsPlatform {
	size := resource.MustParse("10Gi")
	return &platformv1alpha1.EventsPlatform{
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "apps", UID: "uid-1", Generation: 1},
		Spec: platformv1alpha1.EventsPlatformSpec{
			Version:            "1.0.0",
			Image:              platformv1alpha1.DefaultImage,
			ImagePullPolicy:    "IfNotPresent",
			LogLevel:           "info",
			Postgres:           platformv1alpha1.PostgresSpec{Managed: &platformv1alpha1.ManagedPostgres{Storage: platformv1alpha1.StorageSpec{Size: &size}}},
			Redis:              platformv1alpha1.RedisSpec{Managed: &platformv1alpha1.ManagedRedis{}},
			NATS:               platformv1alpha1.NATSSpec{Managed: &platformv1alpha1.ManagedNATS{Replicas: ptr.To(int32(1))}},
			RetainDataOnDelete: ptr.To(true),
		},
	}
}

func TestDesiredPostgres(t *testing.T) {
	p := samplePlatform()
	p.Spec.Postgres.Managed.Storage.StorageClassName = ptr.To("fast")
	p.Spec.RetainDataOnDelete = ptr.To(false)
	sts := desiredPostgres(p)

	if got, want := sts.Name, "demo-postgres"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := sts.Spec.ServiceName, "demo-postgres-headless"; got != want {
		t.Errorf("serviceName = %q, want %q", got, want)
	}
	claim := sts.Spec.VolumeClaimTemplates[0]
	if got := ptr.Deref(claim.Spec.StorageClassName, ""); got != "fast" {
		t.Errorf("storage class = %q, want fast", got)
	}
	if got := claim.Spec.Resources.Requests.Storage().String(); got != "10Gi" {
		t.Errorf("storage size = %s, want 10Gi", got)
	}
	if got := sts.Spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted; got != appsv1.DeletePersistentVolumeClaimRetentionPolicyType {
		t.Errorf("whenDeleted = %s, want Delete when retainDataOnDelete is false", got)
	}
	c := sts.Spec.Template.Spec.Containers[0]
	if got, want := c.Image, "docker.io/library/postgres:16"; got != want {
		t.Errorf("image = %q, want %q", got, want)
	}
	if sc := sts.Spec.Template.Spec.SecurityContext; !ptr.Deref(sc.RunAsNonRoot, false) || ptr.Deref(sc.RunAsUser, 0) != 999 {
		t.Errorf("pod security context = %+v, want non-root user 999", sc)
	}
	if !ptr.Deref(c.SecurityContext.ReadOnlyRootFilesystem, false) {
		t.Error("postgres container has a writable root filesystem")
	}
	for _, e := range c.Env {
		if e.Name == "POSTGRES_PASSWORD" && (e.ValueFrom == nil || e.ValueFrom.SecretKeyRef.Name != "demo-postgres-credentials") {
			t.Errorf("POSTGRES_PASSWORD = %+v, want it from demo-postgres-credentials", e)
		}
	}
}

// TestDesiredPostgresDurability: the managed PostgreSQL acknowledges a commit only once it
// is on disk, whatever the image's or the data folder's configuration says (settings given
// on the command line override postgresql.conf and ALTER SYSTEM).
func TestDesiredPostgresDurability(t *testing.T) {
	c := desiredPostgres(samplePlatform()).Spec.Template.Spec.Containers[0]
	if len(c.Command) != 0 {
		t.Errorf("command = %q, want the image's entrypoint (it initialises the data folder)", c.Command)
	}
	if len(c.Args) == 0 || c.Args[0] != "postgres" {
		t.Fatalf("args = %q, want postgres with its settings", c.Args)
	}
	got := map[string]string{}
	for i := 1; i+1 < len(c.Args); i += 2 {
		if c.Args[i] != "-c" {
			t.Fatalf("args = %q, want postgres followed by -c name=value pairs", c.Args)
		}
		name, value, _ := strings.Cut(c.Args[i+1], "=")
		got[name] = value
	}
	for _, name := range []string{"synchronous_commit", "fsync", "full_page_writes"} {
		if got[name] != "on" {
			t.Errorf("%s = %q, want on (args %q)", name, got[name], c.Args)
		}
	}
}

func TestDesiredNATSCluster(t *testing.T) {
	tests := []struct {
		replicas   int32
		wantRoutes string
	}{
		{1, ""},
		{3, "nats://demo-nats-0.demo-nats-headless:6222,nats://demo-nats-1.demo-nats-headless:6222,nats://demo-nats-2.demo-nats-headless:6222"},
	}
	for _, tt := range tests {
		p := samplePlatform()
		p.Spec.NATS.Managed.Replicas = ptr.To(tt.replicas)
		sts := desiredNATS(p)
		args := sts.Spec.Template.Spec.Containers[0].Args
		routes := ""
		for i, a := range args {
			if a == "--routes" {
				routes = args[i+1]
			}
		}
		if routes != tt.wantRoutes {
			t.Errorf("replicas %d: routes = %q, want %q", tt.replicas, routes, tt.wantRoutes)
		}
		if got := ptr.Deref(sts.Spec.Replicas, 0); got != tt.replicas {
			t.Errorf("replicas = %d, want %d", got, tt.replicas)
		}
		if sts.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
			t.Errorf("podManagementPolicy = %s, want Parallel", sts.Spec.PodManagementPolicy)
		}
	}
}

func TestDependenciesOf(t *testing.T) {
	p := samplePlatform()
	p.Spec.Redis = platformv1alpha1.RedisSpec{External: &platformv1alpha1.ExternalDependency{
		SecretRef: platformv1alpha1.SecretKeyReference{Name: "redis"},
	}}
	deps := dependenciesOf(p)
	if len(deps) != 3 {
		t.Fatalf("got %d dependencies, want 3", len(deps))
	}
	if deps[1].desired != nil || deps[1].external == nil {
		t.Errorf("redis: want external only, got %+v", deps[1])
	}
	objs := deps[0].desired()
	if got := len(objs); got != 3 {
		t.Errorf("managed postgres has %d objects, want headless Service, Service and StatefulSet", got)
	}
}

func TestStatefulSetReady(t *testing.T) {
	tests := []struct {
		name string
		sts  *appsv1.StatefulSet
		want bool
	}{
		{"not seen yet", &appsv1.StatefulSet{}, false},
		{"ready", sts(3, 2, 2, 3, 3), true},
		{"old generation observed", sts(3, 2, 1, 3, 3), false},
		{"not all ready", sts(3, 1, 1, 2, 3), false},
		{"not all updated", sts(3, 1, 1, 3, 2), false},
	}
	for _, tt := range tests {
		if got, _, _ := statefulSetReady(tt.sts); got != tt.want {
			t.Errorf("%s: ready = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func sts(replicas int32, generation, observed int64, ready, updated int32) *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{UID: "x", Generation: generation},
		Spec:       appsv1.StatefulSetSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.StatefulSetStatus{ObservedGeneration: observed, ReadyReplicas: ready, UpdatedReplicas: updated},
	}
}

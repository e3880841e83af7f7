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

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

func TestSecretChanged(t *testing.T) {
	base := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", ResourceVersion: "1"}, Data: map[string][]byte{"url": []byte("a")}}
	tests := []struct {
		name   string
		change func(*corev1.Secret)
		want   bool
	}{
		{"resync", func(*corev1.Secret) {}, false},
		{"annotation only", func(s *corev1.Secret) { s.Annotations = map[string]string{"x": "y"} }, false},
		{"data", func(s *corev1.Secret) { s.Data = map[string][]byte{"url": []byte("b")} }, true},
		{"new key", func(s *corev1.Secret) { s.Data["extra"] = []byte("c") }, true},
	}
	for _, tt := range tests {
		updated := base.DeepCopy()
		updated.ResourceVersion = "2"
		tt.change(updated)
		if got := secretChanged().Update(event.UpdateEvent{ObjectOld: base, ObjectNew: updated}); got != tt.want {
			t.Errorf("%s: secretChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestIndexSecretRefs(t *testing.T) {
	p := samplePlatform()
	if got := indexSecretRefs(p); len(got) != 0 {
		t.Errorf("managed platform references %v, want none", got)
	}
	p.Spec.Postgres = platformv1alpha1.PostgresSpec{External: &platformv1alpha1.ExternalDependency{SecretRef: platformv1alpha1.SecretKeyReference{Name: "pg"}}}
	p.Spec.NATS = platformv1alpha1.NATSSpec{External: &platformv1alpha1.ExternalDependency{SecretRef: platformv1alpha1.SecretKeyReference{Name: "nats"}}}
	got := indexSecretRefs(p)
	if len(got) != 2 || got[0] != "pg" || got[1] != "nats" {
		t.Errorf("references = %v, want [pg nats]", got)
	}
}

func TestPlatformChanged(t *testing.T) {
	old := samplePlatform()
	statusOnly := old.DeepCopy()
	statusOnly.Status.Phase = platformv1alpha1.PhaseReady
	paused := old.DeepCopy()
	paused.Annotations = map[string]string{platformv1alpha1.PausedAnnotation: "true"}
	spec := old.DeepCopy()
	spec.Generation = 2
	for name, tt := range map[string]struct {
		updated *platformv1alpha1.EventsPlatform
		want    bool
	}{
		"status only": {statusOnly, false},
		"annotation":  {paused, true},
		"spec":        {spec, true},
	} {
		if got := platformChanged().Update(event.UpdateEvent{ObjectOld: old, ObjectNew: tt.updated}); got != tt.want {
			t.Errorf("%s: platformChanged = %v, want %v", name, got, tt.want)
		}
	}
}

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

	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

func TestMinReplicas(t *testing.T) {
	tests := []struct {
		w    platformv1alpha1.WorkloadSpec
		want int32
	}{
		{platformv1alpha1.WorkloadSpec{}, 1},
		{platformv1alpha1.WorkloadSpec{Replicas: ptr.To(int32(3))}, 3},
		{platformv1alpha1.WorkloadSpec{Replicas: ptr.To(int32(3)), Autoscaling: &platformv1alpha1.AutoscalingSpec{MinReplicas: ptr.To(int32(2)), MaxReplicas: 5}}, 2},
	}
	for _, tt := range tests {
		if got := minReplicas(&tt.w); got != tt.want {
			t.Errorf("minReplicas(%+v) = %d, want %d", tt.w, got, tt.want)
		}
	}
}

func TestDesiredHPA(t *testing.T) {
	hpa := desiredHPA(samplePlatform(), "search", &platformv1alpha1.AutoscalingSpec{MaxReplicas: 4})
	if got := ptr.Deref(hpa.Spec.MinReplicas, 0); got != 1 {
		t.Errorf("minReplicas = %d, want 1", got)
	}
	if got := ptr.Deref(hpa.Spec.Metrics[0].Resource.Target.AverageUtilization, 0); got != 75 {
		t.Errorf("target CPU = %d, want 75", got)
	}
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != "demo-search" {
		t.Errorf("scale target = %+v", hpa.Spec.ScaleTargetRef)
	}
}

func TestDesiredNetworkPolicies(t *testing.T) {
	policies := desiredNetworkPolicies(samplePlatform())
	if len(policies) != 3 {
		t.Fatalf("got %d policies, want gateway, services and dependencies", len(policies))
	}
	services := policies[1]
	from := services.Spec.Ingress[0].From[0].PodSelector.MatchLabels
	if from[labelInstance] != "demo" || len(services.Spec.PodSelector.MatchExpressions[0].Values) != 7 {
		t.Errorf("services policy = %+v, want the 7 services reachable from the platform's pods", services.Spec)
	}
	if len(policies[0].Spec.Ingress[0].From) != 0 {
		t.Error("the gateway policy restricts sources; it must accept the ingress controller")
	}
}

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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDesiredServiceMonitor(t *testing.T) {
	p := samplePlatform()
	p.Spec.Monitoring.ServiceMonitor.Labels = map[string]string{"release": "prometheus"}
	sm := desiredServiceMonitor(p)
	if sm.GetKind() != "ServiceMonitor" || sm.GetLabels()["release"] != "prometheus" {
		t.Errorf("ServiceMonitor = %s with labels %v", sm.GetKind(), sm.GetLabels())
	}
	sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
	if sel[metricsLabel] != "true" || sel[labelInstance] != "demo" {
		t.Errorf("selector = %v", sel)
	}
	endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
	if ep := endpoints[0].(map[string]any); ep["path"] != "/metrics" || ep["interval"] != "30s" {
		t.Errorf("endpoint = %v", ep)
	}
	if len(sm.GetOwnerReferences()) != 1 {
		t.Error("ServiceMonitor has no owner reference")
	}
}

func TestDesiredPrometheusRule(t *testing.T) {
	rule := desiredPrometheusRule(samplePlatform())
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	rules := groups[0].(map[string]any)["rules"].([]any)
	expr := rules[0].(map[string]any)["expr"].(string)
	if !strings.Contains(expr, `namespace="apps"`) || !strings.Contains(expr, `"demo-.*"`) {
		t.Errorf("expr = %s, want it scoped to the platform", expr)
	}
}

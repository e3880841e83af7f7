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
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// Prometheus Operator objects are written as unstructured objects, so that the operator needs
// neither its Go module nor its CRDs; they are created only where the CRDs exist.

var (
	serviceMonitorGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "ServiceMonitor"}
	prometheusRuleGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}
)

// desiredServiceMonitor scrapes /metrics on every Service of the platform's processes.
func desiredServiceMonitor(p *platformv1alpha1.EventsPlatform) *unstructured.Unstructured {
	sm := p.Spec.Monitoring.ServiceMonitor
	interval := sm.Interval
	if interval == "" {
		interval = "30s"
	}
	u := monitoringObject(p, serviceMonitorGVK, sm.Labels)
	matchLabels := map[string]any{}
	for k, v := range instanceLabels(p) {
		matchLabels[k] = v
	}
	matchLabels[metricsLabel] = "true"
	u.Object["spec"] = map[string]any{
		"selector": map[string]any{"matchLabels": matchLabels},
		"endpoints": []any{map[string]any{
			"port": "http", "path": "/metrics", "interval": interval,
		}},
	}
	return u
}

// desiredPrometheusRule alerts when a component of the platform is down or its pods restart.
func desiredPrometheusRule(p *platformv1alpha1.EventsPlatform) *unstructured.Unstructured {
	u := monitoringObject(p, prometheusRuleGVK, p.Spec.Monitoring.PrometheusRule.Labels)
	selector := fmt.Sprintf(`namespace=%q,service=~%q`, p.Namespace, p.Name+"-.*")
	u.Object["spec"] = map[string]any{
		"groups": []any{map[string]any{
			"name": "events-platform." + p.Name,
			"rules": []any{
				map[string]any{
					"alert":  "EventsPlatformTargetDown",
					"expr":   fmt.Sprintf("up{%s} == 0", selector),
					"for":    "5m",
					"labels": map[string]any{"severity": "critical"},
					"annotations": map[string]any{
						"summary": "{{ $labels.service }} of events platform " + p.Name + " is not answering /metrics",
					},
				},
				map[string]any{
					"alert":  "EventsPlatformHighErrorRate",
					"expr":   fmt.Sprintf(`sum by (service) (rate(http_requests_total{%s,code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total{%s}[5m])) > 0.05`, selector, selector),
					"for":    "10m",
					"labels": map[string]any{"severity": "warning"},
					"annotations": map[string]any{
						"summary": "{{ $labels.service }} of events platform " + p.Name + " answers more than 5% of requests with 5xx",
					},
				},
			},
		}},
	}
	return u
}

func monitoringObject(p *platformv1alpha1.EventsPlatform, gvk schema.GroupVersionKind, labels map[string]string) *unstructured.Unstructured {
	om := objectMeta(p, p.Name, "monitoring")
	for k, v := range labels {
		if _, ours := om.Labels[k]; !ours {
			om.Labels[k] = v
		}
	}
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetGroupVersionKind(gvk)
	u.SetName(om.Name)
	u.SetNamespace(om.Namespace)
	u.SetLabels(om.Labels)
	u.SetOwnerReferences(om.OwnerReferences)
	return u
}

// monitoringKinds remembers which Prometheus Operator kinds the cluster was found to serve.
type monitoringKinds struct{ seen sync.Map }

// exists reports whether the cluster serves the kind.
func (m *monitoringKinds) exists(c client.Client, gvk schema.GroupVersionKind) (bool, error) {
	_, err := c.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("look up %s: %w", gvk.Kind, err)
	}
	m.seen.Store(gvk, true)
	return true, nil
}

// seenBefore reports whether the kind was found earlier, so that disabling monitoring removes
// what was created without asking the cluster for the kind on every reconcile.
func (m *monitoringKinds) seenBefore(gvk schema.GroupVersionKind) bool {
	_, ok := m.seen.Load(gvk)
	return ok
}

// reconcileMonitoring applies or removes the ServiceMonitor and the PrometheusRule.
func (r *EventsPlatformReconciler) reconcileMonitoring(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	for _, m := range []struct {
		enabled bool
		desired func(*platformv1alpha1.EventsPlatform) *unstructured.Unstructured
		gvk     schema.GroupVersionKind
	}{
		{p.Spec.Monitoring.ServiceMonitor.Enabled, desiredServiceMonitor, serviceMonitorGVK},
		{p.Spec.Monitoring.PrometheusRule.Enabled, desiredPrometheusRule, prometheusRuleGVK},
	} {
		if !m.enabled {
			if r.monitoring.seenBefore(m.gvk) {
				obj := monitoringObject(p, m.gvk, nil)
				if _, err := r.applier.deleteOwned(ctx, p, obj); err != nil {
					return nil, err
				}
			}
			continue
		}
		ok, err := r.monitoring.exists(r.Client, m.gvk)
		if err != nil {
			return nil, err
		}
		if !ok {
			s.log.V(1).Info("monitoring kind not served by the cluster; skipped", "kind", m.gvk.Kind)
			continue
		}
		if _, err := r.applier.apply(ctx, m.desired(p)); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

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

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// Policies around the workloads: disruption budgets where there is more than one pod,
// autoscalers where asked for, and network policies.

// desiredPDB lets voluntary disruptions take down one pod of a component at a time.
func desiredPDB(p *platformv1alpha1.EventsPlatform, component string) *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		ObjectMeta: objectMeta(p, childName(p, component), component),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr.To(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: selectorLabels(p, component)},
		},
	}
}

// desiredHPA scales a component's Deployment on CPU utilisation.
func desiredHPA(p *platformv1alpha1.EventsPlatform, component string, as *platformv1alpha1.AutoscalingSpec) *autoscalingv2.HorizontalPodAutoscaler {
	target := as.TargetCPUUtilization
	if target == 0 {
		target = 75
	}
	return &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: objectMeta(p, childName(p, component), component),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Name: childName(p, component),
			},
			MinReplicas: ptr.To(ptr.Deref(as.MinReplicas, 1)),
			MaxReplicas: as.MaxReplicas,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name: "cpu",
					Target: autoscalingv2.MetricTarget{
						Type:               autoscalingv2.UtilizationMetricType,
						AverageUtilization: ptr.To(target),
					},
				},
			}},
		},
	}
}

// minReplicas is the fewest pods a component runs with: the autoscaler's minimum or replicas.
func minReplicas(w *platformv1alpha1.WorkloadSpec) int32 {
	if w.Autoscaling != nil {
		return ptr.Deref(w.Autoscaling.MinReplicas, 1)
	}
	return ptr.Deref(w.Replicas, 1)
}

// desiredNetworkPolicies: the gateway accepts HTTP from anywhere; the services only from the
// platform's own pods; the managed dependencies only from the platform's pods.
func desiredNetworkPolicies(p *platformv1alpha1.EventsPlatform) []*networkingv1.NetworkPolicy {
	platformPods := networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: instanceLabels(p)}}
	httpPortRule := []networkingv1.NetworkPolicyPort{{Port: ptr.To(intstr.FromInt32(httpPort))}}
	selectComponents := func(components ...string) metav1.LabelSelector {
		return metav1.LabelSelector{
			MatchLabels: instanceLabels(p),
			MatchExpressions: []metav1.LabelSelectorRequirement{{
				Key: labelComponent, Operator: metav1.LabelSelectorOpIn, Values: components,
			}},
		}
	}
	policy := func(name, component string, sel metav1.LabelSelector, rules ...networkingv1.NetworkPolicyIngressRule) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{
			ObjectMeta: objectMeta(p, childName(p, name), component),
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: sel,
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress:     rules,
			},
		}
	}
	return []*networkingv1.NetworkPolicy{
		policy("gateway-ingress", platformv1alpha1.ComponentGateway, selectComponents(platformv1alpha1.ComponentGateway),
			networkingv1.NetworkPolicyIngressRule{Ports: httpPortRule}),
		policy("services-ingress", "services", selectComponents(catalog.Names()...),
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{platformPods}, Ports: httpPortRule}),
		policy("dependencies-ingress", "dependencies", selectComponents(
			platformv1alpha1.ComponentPostgres, platformv1alpha1.ComponentRedis, platformv1alpha1.ComponentNATS),
			networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{platformPods}}),
	}
}

// reconcilePolicies applies or removes the autoscalers, disruption budgets and network policies.
func (r *EventsPlatformReconciler) reconcilePolicies(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	components := append([]string{platformv1alpha1.ComponentGateway}, deployedServices(p)...)
	var apply, remove []client.Object
	for _, component := range components {
		w := workloadOf(p, component)
		om := metav1.ObjectMeta{Namespace: p.Namespace, Name: childName(p, component)}
		if w.Autoscaling != nil {
			apply = append(apply, desiredHPA(p, component, w.Autoscaling))
		} else {
			remove = append(remove, &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: om})
		}
		if minReplicas(w) > 1 {
			apply = append(apply, desiredPDB(p, component))
		} else {
			remove = append(remove, &policyv1.PodDisruptionBudget{ObjectMeta: om})
		}
	}
	natsPDB := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: childName(p, platformv1alpha1.ComponentNATS)}}
	if m := p.Spec.NATS.Managed; m != nil && ptr.Deref(m.Replicas, 1) > 1 {
		apply = append(apply, desiredPDB(p, platformv1alpha1.ComponentNATS))
	} else {
		remove = append(remove, natsPDB)
	}
	for _, np := range desiredNetworkPolicies(p) {
		if p.Spec.NetworkPolicy.Enabled {
			apply = append(apply, np)
		} else {
			remove = append(remove, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: np.Namespace, Name: np.Name}})
		}
	}
	for _, obj := range remove {
		if _, err := r.applier.deleteOwned(ctx, p, obj); err != nil {
			return nil, err
		}
	}
	for _, obj := range apply {
		if _, err := r.applier.apply(ctx, obj); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

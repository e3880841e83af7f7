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
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// The gateway is the platform's only public entry: a Deployment and Service like the services,
// configured with their URLs, plus an optional Ingress.

// gatewayEnv configures the gateway's upstreams (deployed services only), CORS and rate limits.
func gatewayEnv(p *platformv1alpha1.EventsPlatform) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, name := range deployedServices(p) {
		s, _ := catalog.Lookup(name)
		env = append(env, corev1.EnvVar{Name: s.URLVar(), Value: serviceURL(p, name)})
	}
	rl := p.Spec.Gateway.RateLimit
	perMinute, burst := rl.RequestsPerMinute, rl.Burst
	if perMinute == 0 {
		perMinute = 600
	}
	if burst == 0 {
		burst = 100
	}
	return append(env,
		corev1.EnvVar{Name: "CORS_ALLOWED_ORIGINS", Value: strings.Join(p.Spec.Gateway.CORS.AllowedOrigins, ",")},
		corev1.EnvVar{Name: "RATE_LIMIT_PER_MINUTE", Value: fmt.Sprint(perMinute)},
		corev1.EnvVar{Name: "RATE_LIMIT_BURST", Value: fmt.Sprint(burst)},
	)
}

// desiredIngress routes the gateway's host (or every host) to the gateway Service.
func desiredIngress(p *platformv1alpha1.EventsPlatform) *networkingv1.Ingress {
	in := p.Spec.Gateway.Ingress
	om := objectMeta(p, childName(p, platformv1alpha1.ComponentGateway), platformv1alpha1.ComponentGateway)
	if len(in.Annotations) > 0 {
		om.Annotations = maps.Clone(in.Annotations)
	}
	pathType := networkingv1.PathTypePrefix
	rule := networkingv1.IngressRule{
		Host: in.Host,
		IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{
				Path:     "/",
				PathType: &pathType,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
					Name: childName(p, platformv1alpha1.ComponentGateway),
					Port: networkingv1.ServiceBackendPort{Name: "http"},
				}},
			}},
		}},
	}
	ing := &networkingv1.Ingress{
		ObjectMeta: om,
		Spec: networkingv1.IngressSpec{
			IngressClassName: in.ClassName,
			Rules:            []networkingv1.IngressRule{rule},
		},
	}
	if in.TLS != nil {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{in.Host}, SecretName: in.TLS.SecretName}}
	}
	return ing
}

// endpoint is where clients reach the API: the Ingress host, or the gateway Service.
func endpoint(p *platformv1alpha1.EventsPlatform) string {
	in := p.Spec.Gateway.Ingress
	if in.Enabled && in.Host != "" {
		if in.TLS != nil {
			return "https://" + in.Host
		}
		return "http://" + in.Host
	}
	return fmt.Sprintf("http://%s.%s.svc:%d", childName(p, platformv1alpha1.ComponentGateway), p.Namespace, httpPort)
}

// reconcileGateway applies the gateway's Deployment, Service and Ingress.
func (r *EventsPlatformReconciler) reconcileGateway(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	objs := []client.Object{
		desiredService(p, platformv1alpha1.ComponentGateway),
		desiredDeployment(p, platformv1alpha1.ComponentGateway, s.runVersion, s.configHash()),
	}
	if p.Spec.Gateway.Ingress.Enabled {
		objs = append(objs, desiredIngress(p))
	} else if _, err := r.applier.deleteOwned(ctx, p, &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{
		Namespace: p.Namespace, Name: childName(p, platformv1alpha1.ComponentGateway),
	}}); err != nil {
		return nil, err
	}
	for _, obj := range objs {
		if _, err := r.applier.apply(ctx, obj); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

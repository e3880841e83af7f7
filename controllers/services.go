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
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// Every domain service, and the gateway, is one Deployment running `platform serve
// --target=<name>` and one Service in front of it. Only the services this version provides
// (internal/catalog) are deployed, whatever the spec says: the binary refuses any other
// target.

// metricsLabel marks the Services whose endpoints serve /metrics, for the ServiceMonitor.
const metricsLabel = "platform.events-platform.io/metrics"

// workloadOf returns the Deployment settings of the gateway or of a domain service.
func workloadOf(p *platformv1alpha1.EventsPlatform, component string) *platformv1alpha1.WorkloadSpec {
	if component == platformv1alpha1.ComponentGateway {
		return &p.Spec.Gateway.WorkloadSpec
	}
	if svc := p.Spec.Services.Service(component); svc != nil {
		return &svc.WorkloadSpec
	}
	return &platformv1alpha1.WorkloadSpec{}
}

// serviceURL is the in-cluster address of a platform component.
func serviceURL(p *platformv1alpha1.EventsPlatform, component string) string {
	return fmt.Sprintf("http://%s:%d", childName(p, component), httpPort)
}

// desiredDeployment runs a component (the gateway or a domain service) at a version. configHash
// goes into the pod template, so that a changed Secret rolls the pods.
func desiredDeployment(p *platformv1alpha1.EventsPlatform, component, version, configHash string) *appsv1.Deployment {
	w := workloadOf(p, component)
	env := append(platformEnv(p), corev1.EnvVar{Name: "JWT_PUBLIC_KEYS_FILE", Value: jwtMountPath + "/" + jwtPublicKeys})
	jwtItems := []corev1.KeyToPath{{Key: jwtPublicKeys, Path: jwtPublicKeys}}
	switch component {
	case platformv1alpha1.ComponentUsers:
		env = append(env, corev1.EnvVar{Name: "JWT_PRIVATE_KEY_FILE", Value: jwtMountPath + "/" + jwtPrivateKey})
		jwtItems = append(jwtItems, corev1.KeyToPath{Key: jwtPrivateKey, Path: jwtPrivateKey})
	case platformv1alpha1.ComponentGateway:
		env = append(env, gatewayEnv(p)...)
	}
	env = append(env, w.Env...)

	c := platformContainer(p, component, version, []string{"serve", "--target=" + component}, env)
	c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: httpPort, Protocol: corev1.ProtocolTCP}}
	c.Resources = resourcesOr(w.Resources, "100m", "128Mi")
	c.StartupProbe = httpProbe("/health", startupPeriod, startupFailures)
	c.LivenessProbe = httpProbe("/health", 10, 3)
	c.ReadinessProbe = httpProbe("/readyz", readinessPeriod, readinessFailures)
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "jwt", MountPath: jwtMountPath, ReadOnly: true})

	pod := platformPodSpec(p, c, corev1.RestartPolicyAlways)
	pod.TerminationGracePeriodSeconds = ptr.To(int64(30))
	pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "jwt", VolumeSource: corev1.VolumeSource{
		Secret: &corev1.SecretVolumeSource{SecretName: jwtSecretName(p), Items: jwtItems, DefaultMode: ptr.To(int32(0o440))},
	}})

	var replicas *int32
	if w.Autoscaling == nil {
		replicas = ptr.To(ptr.Deref(w.Replicas, 1))
	}
	tmpl := podTemplateMeta(p, component, map[string]string{
		configHashAnnotation:   configHash,
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   fmt.Sprint(httpPort),
		"prometheus.io/path":   "/metrics",
	})
	tmpl.Labels[labelVersion] = version
	om := objectMeta(p, childName(p, component), component)
	om.Labels[labelVersion] = version
	return &appsv1.Deployment{
		ObjectMeta: om,
		Spec: appsv1.DeploymentSpec{
			Replicas:             replicas,
			Selector:             &metav1.LabelSelector{MatchLabels: selectorLabels(p, component)},
			RevisionHistoryLimit: ptr.To(int32(3)),
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
					MaxSurge:       ptr.To(intstr.FromString("25%")),
				},
			},
			Template: corev1.PodTemplateSpec{ObjectMeta: tmpl, Spec: pod},
		},
	}
}

// The services' startup and readiness probes: a pod has up to two minutes to start (the
// search index of a large catalogue is built before /health answers).
const (
	startupPeriod, startupFailures     = 2, 60
	readinessPeriod, readinessFailures = 5, 3
)

func httpProbe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: path, Port: intstr.FromString("http"), Scheme: corev1.URISchemeHTTP,
		}},
		PeriodSeconds:    period,
		TimeoutSeconds:   2,
		FailureThreshold: failures,
	}
}

// desiredService is the ClusterIP Service of the gateway or a domain service.
func desiredService(p *platformv1alpha1.EventsPlatform, component string) *corev1.Service {
	om := objectMeta(p, childName(p, component), component)
	om.Labels[metricsLabel] = "true"
	return &corev1.Service{
		ObjectMeta: om,
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selectorLabels(p, component),
			Ports:    []corev1.ServicePort{servicePort("http", httpPort)},
		},
	}
}

// deployedServices returns the domain services the operator runs for p, in catalog order:
// those this version provides that the spec does not disable.
func deployedServices(p *platformv1alpha1.EventsPlatform) []string {
	var names []string
	for _, name := range catalog.ProvidedNames() {
		if p.Spec.Services.Service(name).IsEnabled() {
			names = append(names, name)
		}
	}
	return names
}

// reconcileServices applies the Deployment and Service of every deployed domain service at
// the version the migrations allow, and removes those of the others (disabled, or not
// provided by this version).
func (r *EventsPlatformReconciler) reconcileServices(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	hash := s.configHash()
	deployed := deployedServices(p)
	for _, name := range catalog.Names() {
		if !slices.Contains(deployed, name) {
			if err := r.removeComponent(ctx, p, name); err != nil {
				return nil, err
			}
			continue
		}
		for _, obj := range []client.Object{desiredService(p, name), desiredDeployment(p, name, s.runVersion, hash)} {
			if _, err := r.applier.apply(ctx, obj); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// removeComponent deletes the objects of a disabled component.
func (r *EventsPlatformReconciler) removeComponent(ctx context.Context, p *platformv1alpha1.EventsPlatform, component string) error {
	om := metav1.ObjectMeta{Namespace: p.Namespace, Name: childName(p, component)}
	objs := []client.Object{
		&autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: om},
		&policyv1.PodDisruptionBudget{ObjectMeta: om},
		&appsv1.Deployment{ObjectMeta: om},
		&corev1.Service{ObjectMeta: om},
	}
	for _, obj := range objs {
		deleted, err := r.applier.deleteOwned(ctx, p, obj)
		if err != nil {
			return err
		}
		if deleted && isKind[*appsv1.Deployment](obj) {
			r.event(p, corev1.EventTypeNormal, platformv1alpha1.ReasonDisabled, "Delete",
				"Removed %s: the component is disabled", component)
		}
	}
	return nil
}

func isKind[T client.Object](obj client.Object) bool {
	_, ok := obj.(T)
	return ok
}

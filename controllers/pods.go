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
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// What every pod of the platform shares: object metadata with the owner reference, the
// restricted Pod Security profile, the platform binary's container and environment, and the
// user's pod overrides.

const (
	jwtMountPath   = "/etc/platform/jwt"
	jwtPrivateKey  = "private.pem"
	jwtPublicKeys  = "public.pem"
	nonRootUserID  = int64(65532)
	platformBinary = "/platform"
)

// objectMeta is the metadata of a child object: its name, the platform's namespace, the
// component's labels and the platform as controlling owner, so that deleting the platform
// deletes it.
func objectMeta(p *platformv1alpha1.EventsPlatform, name, component string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       p.Namespace,
		Labels:          objectLabels(p, component),
		OwnerReferences: []metav1.OwnerReference{ownerReference(p)},
	}
}

func ownerReference(p *platformv1alpha1.EventsPlatform) metav1.OwnerReference {
	return *metav1.NewControllerRef(p, platformv1alpha1.GroupVersion.WithKind("EventsPlatform"))
}

// podSecurityContext satisfies the restricted Pod Security Standard unless the user replaced it.
func podSecurityContext(p *platformv1alpha1.EventsPlatform, uid int64) *corev1.PodSecurityContext {
	if sc := p.Spec.PodTemplate.SecurityContext; sc != nil {
		return sc.DeepCopy()
	}
	return &corev1.PodSecurityContext{
		RunAsNonRoot:        ptr.To(true),
		RunAsUser:           ptr.To(uid),
		RunAsGroup:          ptr.To(uid),
		FSGroup:             ptr.To(uid),
		FSGroupChangePolicy: ptr.To(corev1.FSGroupChangeOnRootMismatch),
		SeccompProfile:      &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// containerSecurityContext is the restricted profile with a read-only root filesystem.
func containerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		ReadOnlyRootFilesystem:   ptr.To(true),
		RunAsNonRoot:             ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}

// podTemplateMeta is the metadata of a pod template: selector labels plus the user's labels and
// annotations, which cannot override the selector.
func podTemplateMeta(p *platformv1alpha1.EventsPlatform, component string, annotations map[string]string) metav1.ObjectMeta {
	labels := map[string]string{}
	maps.Copy(labels, p.Spec.PodTemplate.Labels)
	maps.Copy(labels, objectLabels(p, component))
	all := map[string]string{}
	maps.Copy(all, p.Spec.PodTemplate.Annotations)
	maps.Copy(all, annotations)
	if len(all) == 0 {
		all = nil
	}
	return metav1.ObjectMeta{Labels: labels, Annotations: all}
}

// withPodOverrides sets the scheduling overrides of spec.podTemplate on a pod spec.
func withPodOverrides(p *platformv1alpha1.EventsPlatform, spec corev1.PodSpec) corev1.PodSpec {
	o := p.Spec.PodTemplate
	if len(o.NodeSelector) > 0 {
		spec.NodeSelector = maps.Clone(o.NodeSelector)
	}
	for _, t := range o.Tolerations {
		spec.Tolerations = append(spec.Tolerations, *t.DeepCopy())
	}
	if o.Affinity != nil {
		spec.Affinity = o.Affinity.DeepCopy()
	}
	for _, c := range o.TopologySpreadConstraints {
		spec.TopologySpreadConstraints = append(spec.TopologySpreadConstraints, *c.DeepCopy())
	}
	spec.PriorityClassName = o.PriorityClassName
	return spec
}

// resourcesOr returns r, or the fallback requests when r sets nothing.
func resourcesOr(r corev1.ResourceRequirements, cpu, memory string) corev1.ResourceRequirements {
	if len(r.Requests) > 0 || len(r.Limits) > 0 || len(r.Claims) > 0 {
		return *r.DeepCopy()
	}
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cpu),
		corev1.ResourceMemory: resource.MustParse(memory),
	}}
}

func redisURL(p *platformv1alpha1.EventsPlatform) string {
	return fmt.Sprintf("redis://%s.%s.svc:6379/0", childName(p, platformv1alpha1.ComponentRedis), p.Namespace)
}

func natsURL(p *platformv1alpha1.EventsPlatform) string {
	return fmt.Sprintf("nats://%s.%s.svc:4222", childName(p, platformv1alpha1.ComponentNATS), p.Namespace)
}

func secretEnv(name, secret, key string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key,
	}}}
}

// connectionEnv gives the URLs of PostgreSQL (and of its read replica, when an external
// one has one), Redis and NATS: from the generated or the referenced Secret, or, for
// managed Redis and NATS which have no credentials, as values.
func connectionEnv(p *platformv1alpha1.EventsPlatform) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, 3)
	if ext := p.Spec.Postgres.External; ext != nil {
		env = append(env, secretEnv("DATABASE_URL", ext.SecretRef.Name, secretKey(ext.SecretRef)))
		if ro := p.Spec.Postgres.ReadReplica; ro != nil {
			env = append(env, secretEnv("DATABASE_READ_URL", ro.SecretRef.Name, secretKey(ro.SecretRef)))
		}
	} else {
		env = append(env, secretEnv("DATABASE_URL", postgresSecretName(p), "url"))
	}
	if ext := p.Spec.Redis.External; ext != nil {
		env = append(env, secretEnv("REDIS_URL", ext.SecretRef.Name, secretKey(ext.SecretRef)))
	} else {
		env = append(env, corev1.EnvVar{Name: "REDIS_URL", Value: redisURL(p)})
	}
	if ext := p.Spec.NATS.External; ext != nil {
		env = append(env, secretEnv("NATS_URL", ext.SecretRef.Name, secretKey(ext.SecretRef)))
	} else {
		env = append(env, corev1.EnvVar{Name: "NATS_URL", Value: natsURL(p)})
	}
	return env
}

func secretKey(ref platformv1alpha1.SecretKeyReference) string {
	if ref.Key == "" {
		return "url"
	}
	return ref.Key
}

// platformEnv is the environment of every process of the platform binary.
func platformEnv(p *platformv1alpha1.EventsPlatform) []corev1.EnvVar {
	level := p.Spec.LogLevel
	if level == "" {
		level = "info"
	}
	env := []corev1.EnvVar{
		{Name: "HTTP_ADDR", Value: fmt.Sprintf(":%d", httpPort)},
		{Name: "LOG_FORMAT", Value: "json"},
		{Name: "LOG_LEVEL", Value: level},
	}
	return append(env, connectionEnv(p)...)
}

// platformContainer runs the platform binary at a version with the restricted security context
// and a writable /tmp.
func platformContainer(p *platformv1alpha1.EventsPlatform, name, version string, args []string, env []corev1.EnvVar) corev1.Container {
	return corev1.Container{
		Name:            name,
		Image:           p.ImageRef(version),
		ImagePullPolicy: p.Spec.ImagePullPolicy,
		Command:         []string{platformBinary},
		Args:            args,
		Env:             env,
		SecurityContext: containerSecurityContext(),
		VolumeMounts:    []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
	}
}

// platformPodSpec is the pod spec of a platform process with its one container.
func platformPodSpec(p *platformv1alpha1.EventsPlatform, c corev1.Container, restart corev1.RestartPolicy) corev1.PodSpec {
	spec := corev1.PodSpec{
		Containers:                   []corev1.Container{c},
		RestartPolicy:                restart,
		SecurityContext:              podSecurityContext(p, nonRootUserID),
		AutomountServiceAccountToken: ptr.To(false),
		EnableServiceLinks:           ptr.To(false),
		ImagePullSecrets:             pullSecrets(p),
		Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{
			EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("256Mi"))},
		}}},
	}
	return withPodOverrides(p, spec)
}

func pullSecrets(p *platformv1alpha1.EventsPlatform) []corev1.LocalObjectReference {
	if len(p.Spec.ImagePullSecrets) == 0 {
		return nil
	}
	return append([]corev1.LocalObjectReference(nil), p.Spec.ImagePullSecrets...)
}

// dependencyImage picks the image of a managed dependency, falling back to its default.
func dependencyImage(image, fallback string) string {
	if strings.TrimSpace(image) == "" {
		return fallback
	}
	return image
}

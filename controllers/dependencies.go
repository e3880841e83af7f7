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
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// Managed dependencies are StatefulSets with a headless Service (stable pod names) and a
// Service (the address the platform uses); their volumes come from claim templates. External
// ones are only checked: their Secret must exist and hold the URL.

const (
	postgresDefaultImage = "docker.io/library/postgres:16"
	redisDefaultImage    = "docker.io/library/redis:7"
	natsDefaultImage     = "docker.io/library/nats:2.10"

	postgresUID = int64(999)
	redisUID    = int64(999)
)

// desiredPostgres is the StatefulSet of a managed PostgreSQL.
func desiredPostgres(p *platformv1alpha1.EventsPlatform) *appsv1.StatefulSet {
	m := p.Spec.Postgres.Managed
	secret := postgresSecretName(p)
	probe := &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{
			"pg_isready", "-h", "127.0.0.1", "-U", postgresUser, "-d", postgresDatabase,
		}}},
		PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 6,
	}
	c := corev1.Container{
		Name:            platformv1alpha1.ComponentPostgres,
		Image:           dependencyImage(m.Image, postgresDefaultImage),
		ImagePullPolicy: corev1.PullIfNotPresent,
		// The server (started through the image's entrypoint) acknowledges a commit only
		// once it is on disk: a registration answered 201 must survive a crash of the node.
		// These are PostgreSQL's defaults, stated on the command line because it overrides
		// what a custom image's postgresql.conf or an ALTER SYSTEM in the data folder says.
		Args: []string{"postgres", "-c", "synchronous_commit=on", "-c", "fsync=on", "-c", "full_page_writes=on"},
		Env: []corev1.EnvVar{
			secretEnv("POSTGRES_USER", secret, "username"),
			secretEnv("POSTGRES_PASSWORD", secret, "password"),
			secretEnv("POSTGRES_DB", secret, "database"),
			{Name: "PGDATA", Value: "/var/lib/postgresql/data/pgdata"},
		},
		Ports:          []corev1.ContainerPort{{Name: "postgres", ContainerPort: 5432}},
		ReadinessProbe: probe,
		LivenessProbe:  withDelay(probe, 30),
		Resources:      resourcesOr(m.Resources, "250m", "512Mi"),
		VolumeMounts: []corev1.VolumeMount{
			{Name: "data", MountPath: "/var/lib/postgresql/data"},
			{Name: "run", MountPath: "/var/run/postgresql"},
			{Name: "tmp", MountPath: "/tmp"},
			{Name: "shm", MountPath: "/dev/shm"},
		},
		SecurityContext: containerSecurityContext(),
	}
	volumes := []corev1.Volume{
		emptyDir("run", ""), emptyDir("tmp", ""), emptyDir("shm", corev1.StorageMediumMemory),
	}
	return dependencyStatefulSet(p, platformv1alpha1.ComponentPostgres, 1, c, m.Storage, volumes, postgresUID)
}

// desiredRedis is the StatefulSet of a managed Redis, persisting with an append-only file.
func desiredRedis(p *platformv1alpha1.EventsPlatform) *appsv1.StatefulSet {
	m := p.Spec.Redis.Managed
	probe := &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"redis-cli", "ping"}}},
		PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 6,
	}
	c := corev1.Container{
		Name:            platformv1alpha1.ComponentRedis,
		Image:           dependencyImage(m.Image, redisDefaultImage),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            []string{"redis-server", "--appendonly", "yes", "--dir", "/data", "--protected-mode", "no"},
		Ports:           []corev1.ContainerPort{{Name: "redis", ContainerPort: 6379}},
		ReadinessProbe:  probe,
		LivenessProbe:   withDelay(probe, 15),
		Resources:       resourcesOr(m.Resources, "100m", "128Mi"),
		VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
		SecurityContext: containerSecurityContext(),
	}
	return dependencyStatefulSet(p, platformv1alpha1.ComponentRedis, 1, c, m.Storage, nil, redisUID)
}

// desiredNATS is the StatefulSet of a managed NATS with JetStream; with more than one replica
// the servers form a cluster through the headless Service.
func desiredNATS(p *platformv1alpha1.EventsPlatform) *appsv1.StatefulSet {
	m := p.Spec.NATS.Managed
	replicas := ptr.Deref(m.Replicas, 1)
	args := []string{
		"--jetstream", "--store_dir", "/data", "--port", "4222", "--http_port", "8222",
		"--server_name", "$(POD_NAME)",
	}
	if replicas > 1 {
		routes := make([]string, 0, replicas)
		for i := range replicas {
			routes = append(routes, fmt.Sprintf("nats://%s-%d.%s:6222",
				childName(p, platformv1alpha1.ComponentNATS), i, headlessName(p, platformv1alpha1.ComponentNATS)))
		}
		args = append(args, "--cluster_name", p.Name, "--cluster", "nats://0.0.0.0:6222",
			"--routes", strings.Join(routes, ","))
	}
	c := corev1.Container{
		Name:            platformv1alpha1.ComponentNATS,
		Image:           dependencyImage(m.Image, natsDefaultImage),
		ImagePullPolicy: corev1.PullIfNotPresent,
		Args:            args,
		Env: []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
			FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"},
		}}},
		Ports: []corev1.ContainerPort{
			{Name: "client", ContainerPort: 4222},
			{Name: "cluster", ContainerPort: 6222},
			{Name: "monitor", ContainerPort: 8222},
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz?js-enabled-only=true", Port: intstr.FromString("monitor"),
			}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 6,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/healthz?js-enabled-only=true", Port: intstr.FromString("monitor"),
			}},
			InitialDelaySeconds: 15, PeriodSeconds: 30, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		Resources:       resourcesOr(m.Resources, "100m", "128Mi"),
		VolumeMounts:    []corev1.VolumeMount{{Name: "data", MountPath: "/data"}},
		SecurityContext: containerSecurityContext(),
	}
	sts := dependencyStatefulSet(p, platformv1alpha1.ComponentNATS, replicas, c, m.Storage, nil, nonRootUserID)
	// Cluster members must find each other before any is ready.
	sts.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	return sts
}

// dependencyStatefulSet wraps a dependency's container in a StatefulSet with a data volume claim.
func dependencyStatefulSet(p *platformv1alpha1.EventsPlatform, component string, replicas int32, c corev1.Container,
	storage platformv1alpha1.StorageSpec, volumes []corev1.Volume, uid int64) *appsv1.StatefulSet {
	size := resource.MustParse("10Gi")
	if storage.Size != nil {
		size = *storage.Size
	}
	whenDeleted := appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	if p.RetainsData() {
		whenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	spec := withPodOverrides(p, corev1.PodSpec{
		Containers:                    []corev1.Container{c},
		SecurityContext:               podSecurityContext(p, uid),
		AutomountServiceAccountToken:  ptr.To(false),
		EnableServiceLinks:            ptr.To(false),
		TerminationGracePeriodSeconds: ptr.To(int64(60)),
		Volumes:                       volumes,
	})
	return &appsv1.StatefulSet{
		ObjectMeta: objectMeta(p, childName(p, component), component),
		Spec: appsv1.StatefulSetSpec{
			Replicas:             ptr.To(replicas),
			ServiceName:          headlessName(p, component),
			Selector:             &metav1.LabelSelector{MatchLabels: selectorLabels(p, component)},
			RevisionHistoryLimit: ptr.To(int32(3)),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: podTemplateMeta(p, component, nil),
				Spec:       spec,
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: selectorLabels(p, component)},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					StorageClassName: storage.StorageClassName,
					Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
				},
			}},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: whenDeleted,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
		},
	}
}

// desiredDependencyServices are the Service the platform connects to and the headless Service
// that gives the StatefulSet's pods stable names.
func desiredDependencyServices(p *platformv1alpha1.EventsPlatform, component string, ports ...corev1.ServicePort) (*corev1.Service, *corev1.Service) {
	svc := &corev1.Service{
		ObjectMeta: objectMeta(p, childName(p, component), component),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: selectorLabels(p, component),
			Ports:    ports,
		},
	}
	headless := &corev1.Service{
		ObjectMeta: objectMeta(p, headlessName(p, component), component),
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 selectorLabels(p, component),
			Ports:                    ports,
			PublishNotReadyAddresses: true,
		},
	}
	return svc, headless
}

func servicePort(name string, port int32) corev1.ServicePort {
	return corev1.ServicePort{Name: name, Port: port, TargetPort: intstr.FromString(name), Protocol: corev1.ProtocolTCP}
}

func emptyDir(name string, medium corev1.StorageMedium) corev1.Volume {
	return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium}}}
}

func withDelay(p *corev1.Probe, seconds int32) *corev1.Probe {
	c := p.DeepCopy()
	c.InitialDelaySeconds = seconds
	c.PeriodSeconds = 30
	return c
}

// dependency is one of PostgreSQL, Redis and NATS as this platform specifies it.
type dependency struct {
	component string
	external  *platformv1alpha1.ExternalDependency
	// desired builds the managed objects; nil for an external dependency.
	desired func() []client.Object
}

func dependenciesOf(p *platformv1alpha1.EventsPlatform) []dependency {
	managed := func(sts *appsv1.StatefulSet, ports ...corev1.ServicePort) func() []client.Object {
		return func() []client.Object {
			svc, headless := desiredDependencyServices(p, sts.Labels[labelComponent], ports...)
			return []client.Object{headless, svc, sts}
		}
	}
	deps := []dependency{
		{component: platformv1alpha1.ComponentPostgres, external: p.Spec.Postgres.External},
		{component: platformv1alpha1.ComponentRedis, external: p.Spec.Redis.External},
		{component: platformv1alpha1.ComponentNATS, external: p.Spec.NATS.External},
	}
	if p.Spec.Postgres.Managed != nil {
		deps[0].desired = managed(desiredPostgres(p), servicePort("postgres", 5432))
	}
	if p.Spec.Redis.Managed != nil {
		deps[1].desired = managed(desiredRedis(p), servicePort("redis", 6379))
	}
	if p.Spec.NATS.Managed != nil {
		deps[2].desired = managed(desiredNATS(p), servicePort("client", 4222), servicePort("cluster", 6222), servicePort("monitor", 8222))
	}
	return deps
}

// reconcileDependencies applies the managed dependencies, checks the external ones' Secrets,
// and stops the reconcile until every dependency is ready.
func (r *EventsPlatformReconciler) reconcileDependencies(ctx context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	var problems, waiting []string
	reason := platformv1alpha1.ReasonDependenciesNotReady
	for _, dep := range dependenciesOf(p) {
		if dep.desired == nil {
			if err := r.removeManagedDependency(ctx, p, dep.component); err != nil {
				return nil, err
			}
			problem, why, err := r.checkExternal(ctx, s, dep.component, dep.component+".external", dep.external)
			if err != nil {
				return nil, err
			}
			if problem != "" {
				problems, reason = append(problems, problem), firstReason(problems, reason, why)
			}
			continue
		}
		for _, obj := range dep.desired() {
			if _, err := r.applier.apply(ctx, obj); err != nil {
				return nil, err
			}
		}
		sts := &appsv1.StatefulSet{}
		err := r.Client.Get(ctx, client.ObjectKey{Namespace: p.Namespace, Name: childName(p, dep.component)}, sts)
		if err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("get statefulset %s: %w", childName(p, dep.component), err)
		}
		if ready, have, want := statefulSetReady(sts); !ready {
			waiting = append(waiting, fmt.Sprintf("%s (%d/%d ready)", dep.component, have, want))
		}
	}
	if ro := p.Spec.Postgres.ReadReplica; ro != nil {
		problem, why, err := r.checkExternal(ctx, s, "postgres-read", "postgres.readReplica", ro)
		if err != nil {
			return nil, err
		}
		if problem != "" {
			problems, reason = append(problems, problem), firstReason(problems, reason, why)
		}
	}
	// A platform that never ran waits here; one that runs keeps its services reconciled at the
	// version they run, and only its next migration waits for the dependencies.
	installing := p.Status.SchemaVersion == ""
	if len(problems) > 0 {
		msg := strings.Join(problems, "; ")
		if c := findCondition(p, platformv1alpha1.ConditionDependenciesReady); c == nil || c.Message != msg {
			r.event(p, corev1.EventTypeWarning, reason, "CheckDependencies", "%s", msg)
		}
		s.setCondition(platformv1alpha1.ConditionDependenciesReady, metav1.ConditionFalse, reason, msg)
		if installing {
			return s.block(platformv1alpha1.ReasonWaitingForDependency, "Waiting for the dependencies: "+msg), nil
		}
		return nil, nil
	}
	if len(waiting) > 0 {
		msg := "Waiting for " + strings.Join(waiting, ", ")
		s.setCondition(platformv1alpha1.ConditionDependenciesReady, metav1.ConditionFalse, reason, msg)
		if installing {
			return s.block(platformv1alpha1.ReasonWaitingForDependency, msg), nil
		}
		return nil, nil
	}
	s.dependenciesReady = true
	if !meta.IsStatusConditionTrue(p.Status.Conditions, platformv1alpha1.ConditionDependenciesReady) {
		r.event(p, corev1.EventTypeNormal, "DependenciesReady", "CheckDependencies", "PostgreSQL, Redis and NATS are ready")
	}
	s.setCondition(platformv1alpha1.ConditionDependenciesReady, metav1.ConditionTrue, platformv1alpha1.ReasonAvailable,
		"PostgreSQL, Redis and NATS are ready")
	return nil, nil
}

// firstReason is the status reason for problems: the first problem's.
func firstReason(before []string, reason, why string) string {
	if len(before) == 0 {
		return why
	}
	return reason
}

// checkExternal checks the Secret an external dependency (or PostgreSQL's read replica) is
// reached through, spec field path, and records its URL's digest under name for the config
// hash. It returns a problem for the status when the Secret or its key is missing.
func (r *EventsPlatformReconciler) checkExternal(ctx context.Context, s *scope, name, path string, ext *platformv1alpha1.ExternalDependency) (string, string, error) {
	ref := ext.SecretRef
	key := secretKey(ref)
	secret := &corev1.Secret{}
	err := r.Client.Get(ctx, client.ObjectKey{Namespace: s.platform.Namespace, Name: ref.Name}, secret)
	if apierrors.IsNotFound(err) {
		return fmt.Sprintf("%s.secretRef: Secret %q not found in namespace %q", path, ref.Name, s.platform.Namespace),
			platformv1alpha1.ReasonSecretNotFound, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("get secret %s: %w", ref.Name, err)
	}
	if len(secret.Data[key]) == 0 {
		return fmt.Sprintf("%s.secretRef: Secret %q has no key %q holding the URL", path, ref.Name, key),
			platformv1alpha1.ReasonSecretKeyMissing, nil
	}
	s.secretData[name] = secretDigest(secret, key)
	return "", "", nil
}

// removeManagedDependency deletes what a managed dependency left behind after it became
// external. Its volume claims stay, whatever retainDataOnDelete says: the data may be needed.
func (r *EventsPlatformReconciler) removeManagedDependency(ctx context.Context, p *platformv1alpha1.EventsPlatform, component string) error {
	objs := []client.Object{
		&appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: childName(p, component)}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: childName(p, component)}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: headlessName(p, component)}},
	}
	for i, obj := range objs {
		deleted, err := r.applier.deleteOwned(ctx, p, obj)
		if err != nil {
			return err
		}
		if deleted && i == 0 {
			r.event(p, corev1.EventTypeNormal, "Deleted", "Delete",
				"Removed the managed %s: it is external now (its volume claims are kept)", component)
		}
	}
	return nil
}

// statefulSetReady reports whether every replica of the current revision is ready, with the
// ready and desired counts. A StatefulSet not yet seen is not ready.
func statefulSetReady(sts *appsv1.StatefulSet) (bool, int32, int32) {
	if sts == nil || sts.UID == "" {
		return false, 0, 0
	}
	want := ptr.Deref(sts.Spec.Replicas, 1)
	st := sts.Status
	ready := st.ObservedGeneration >= sts.Generation && st.ReadyReplicas >= want && st.UpdatedReplicas >= want
	return ready, st.ReadyReplicas, want
}

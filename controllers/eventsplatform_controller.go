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

// Package controllers reconciles EventsPlatform resources into the objects that run the platform.
package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// EventsPlatformReconciler reconciles an EventsPlatform into its Secrets, dependencies,
// migration Job, services, gateway, retraining CronJob and policies, and reports its status.
type EventsPlatformReconciler struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads from the API server directly, for the rare reads the cache cannot answer.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder

	applier    *applier
	monitoring monitoringKinds
}

// step is one stage of a reconcile. It returns a non-nil result to stop the reconcile there:
// waiting for something the watches will report, or asking to be requeued.
type step struct {
	name string
	run  func(context.Context, *scope) (*ctrl.Result, error)
}

// scope is the state of one reconcile of one platform, shared by its steps.
type scope struct {
	platform *platformv1alpha1.EventsPlatform
	log      logr.Logger

	// secretData holds a digest of each Secret the pods read; together they make the config hash.
	secretData map[string]string
	// runVersion is the version the services run: spec.version once its migrations completed,
	// the version migrated before that until then, and empty before the first migration.
	runVersion string
	// dependenciesReady is set once every dependency was found ready.
	dependenciesReady bool
	// blockedBy is the reason later conditions report when a step stopped the reconcile.
	blockedBy, blockedMessage string
	// touched records the conditions set during this reconcile.
	touched map[string]bool
	// recheck, when set, is when the status must be worked out again though nothing changes
	// (a grace that ends).
	recheck time.Duration
}

// recheckAfter asks for the reconcile to run again after d at the latest.
func (s *scope) recheckAfter(d time.Duration) {
	if s.recheck == 0 || d < s.recheck {
		s.recheck = d
	}
}

func newScope(p *platformv1alpha1.EventsPlatform, log logr.Logger) *scope {
	return &scope{platform: p, log: log, secretData: map[string]string{}, touched: map[string]bool{}}
}

// setCondition sets a condition of the platform for the generation being reconciled.
func (s *scope) setCondition(conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&s.platform.Status.Conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: s.platform.Generation,
	})
	s.touched[conditionType] = true
}

// block records why the reconcile stops before reaching the later steps.
func (s *scope) block(reason, message string) *ctrl.Result {
	s.blockedBy, s.blockedMessage = reason, message
	return &ctrl.Result{}
}

// configHash digests every Secret the pods read, so that a change to one rolls them.
func (s *scope) configHash() string {
	keys := make([]string, 0, len(s.secretData))
	for k := range s.secretData {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, s.secretData[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=batch,resources=cronjobs;jobs,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=core,resources=secrets;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheusrules;servicemonitors,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses;networkpolicies,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=platform.events-platform.io,resources=eventsplatforms,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=platform.events-platform.io,resources=eventsplatforms/finalizers,verbs=update
// +kubebuilder:rbac:groups=platform.events-platform.io,resources=eventsplatforms/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;update;patch;delete

// Reconcile loads the EventsPlatform and reconciles it. Deletion needs no work here: every
// child carries an owner reference, so the garbage collector removes them, and the volume
// claims of managed dependencies follow spec.retainDataOnDelete.
func (r *EventsPlatformReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	p := &platformv1alpha1.EventsPlatform{}
	if err := r.Client.Get(ctx, req.NamespacedName, p); err != nil {
		if apierrors.IsNotFound(err) {
			forgetMetrics(req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !p.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	return r.reconcile(ctx, p)
}

// reconcile runs the steps in order, stopping at the first that asks to, then writes the status.
func (r *EventsPlatformReconciler) reconcile(ctx context.Context, p *platformv1alpha1.EventsPlatform) (result ctrl.Result, err error) {
	s := newScope(p, logf.FromContext(ctx))
	before := p.DeepCopy()
	defer func() {
		if statusErr := r.updateStatus(ctx, s, before, err); statusErr != nil && err == nil {
			err = statusErr
		}
		if err == nil && s.recheck > 0 && (result.RequeueAfter == 0 || s.recheck < result.RequeueAfter) {
			result.RequeueAfter = s.recheck
		}
	}()

	steps := []step{
		{"pause", r.reconcilePause},
		{"secrets", r.reconcileSecrets},
		{"dependencies", r.reconcileDependencies},
		{"migrations", r.reconcileMigrations},
		{"services", r.reconcileServices},
		{"gateway", r.reconcileGateway},
		{"retraining", r.reconcileRetraining},
		{"policies", r.reconcilePolicies},
		{"monitoring", r.reconcileMonitoring},
	}
	for _, st := range steps {
		start := time.Now()
		res, err := st.run(ctx, s)
		stepDuration.WithLabelValues(st.name).Observe(time.Since(start).Seconds())
		if err != nil {
			stepErrors.WithLabelValues(st.name).Inc()
			return ctrl.Result{}, fmt.Errorf("%s: %w", st.name, err)
		}
		if res != nil {
			return *res, nil
		}
	}
	return ctrl.Result{}, nil
}

// reconcilePause stops the reconcile while the platform is paused.
func (r *EventsPlatformReconciler) reconcilePause(_ context.Context, s *scope) (*ctrl.Result, error) {
	p := s.platform
	if !p.IsPaused() {
		if meta.IsStatusConditionTrue(p.Status.Conditions, platformv1alpha1.ConditionPaused) {
			r.event(p, corev1.EventTypeNormal, platformv1alpha1.ReasonNotPaused, "Resume", "Reconciliation resumed")
		}
		s.setCondition(platformv1alpha1.ConditionPaused, metav1.ConditionFalse, platformv1alpha1.ReasonNotPaused, "")
		return nil, nil
	}
	if !meta.IsStatusConditionTrue(p.Status.Conditions, platformv1alpha1.ConditionPaused) {
		r.event(p, corev1.EventTypeNormal, platformv1alpha1.ReasonPaused, "Pause", "Reconciliation paused: no child object will change")
	}
	s.setCondition(platformv1alpha1.ConditionPaused, metav1.ConditionTrue, platformv1alpha1.ReasonPaused,
		"Reconciliation is paused by spec.paused or the "+platformv1alpha1.PausedAnnotation+" annotation")
	return s.block(platformv1alpha1.ReasonPaused, "Reconciliation is paused"), nil
}

// event records a Kubernetes Event about the platform.
func (r *EventsPlatformReconciler) event(p *platformv1alpha1.EventsPlatform, eventType, reason, action, note string, args ...any) {
	if r.Recorder != nil {
		r.Recorder.Eventf(p, nil, eventType, reason, action, note, args...)
	}
}

// SetupWithManager registers the controller: it watches EventsPlatforms, every kind they own,
// and the Secrets they reference.
func (r *EventsPlatformReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Client == nil {
		r.Client = mgr.GetClient()
	}
	if r.APIReader == nil {
		r.APIReader = mgr.GetAPIReader()
	}
	if r.Scheme == nil {
		r.Scheme = mgr.GetScheme()
	}
	r.applier = newApplier(r.Client, r.Scheme)
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &platformv1alpha1.EventsPlatform{},
		secretRefIndex, indexSecretRefs); err != nil {
		return fmt.Errorf("index secret references: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&platformv1alpha1.EventsPlatform{}, builder.WithPredicates(platformChanged())).
		Owns(&appsv1.Deployment{}).
		Owns(&appsv1.StatefulSet{}).
		Owns(&batchv1.Job{}).
		Owns(&batchv1.CronJob{}).
		Owns(&corev1.Service{}).
		Owns(&networkingv1.Ingress{}).
		Owns(&networkingv1.NetworkPolicy{}, builder.WithPredicates(specChanged())).
		Owns(&policyv1.PodDisruptionBudget{}, builder.WithPredicates(specChanged())).
		Owns(&autoscalingv2.HorizontalPodAutoscaler{}, builder.WithPredicates(specChanged())).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.platformsForSecret),
			builder.WithPredicates(secretChanged())).
		Named("eventsplatform").
		Complete(r)
}

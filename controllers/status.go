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
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
	"github.com/events-platform/events-platform/internal/catalog"
)

// requeueSoon is how long to wait before looking again at something no watch reports.
const requeueSoon = 5 * time.Second

func resourceQuantity(s string) resource.Quantity { return resource.MustParse(s) }

func findCondition(p *platformv1alpha1.EventsPlatform, conditionType string) *metav1.Condition {
	return meta.FindStatusCondition(p.Status.Conditions, conditionType)
}

// workloadState is what the status needs to know of one Deployment or StatefulSet.
type workloadState struct {
	status     platformv1alpha1.ComponentStatus
	ready      bool // every desired pod is available and runs the current template
	rollingOut bool // the workload has not caught up with its spec yet
}

// deploymentRolledOut is the reason of a Deployment's Progressing condition once its newest
// ReplicaSet is available (the deployment controller's NewRSAvailableReason).
const deploymentRolledOut = "NewReplicaSetAvailable"

func deploymentState(d *appsv1.Deployment, component string) workloadState {
	desired := ptr.Deref(d.Spec.Replicas, 1)
	st := d.Status
	image := ""
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		image = cs[0].Image
	}
	// Pods that are new (a first start, a new version, a scale-up) and not available yet are
	// a rollout in progress, as the Deployment's Progressing condition says, not a failure;
	// the same after the progress deadline, or for a pod lost once the rollout ended, is.
	progressing := false
	for _, c := range st.Conditions {
		if c.Type == appsv1.DeploymentProgressing {
			progressing = c.Status == corev1.ConditionTrue && c.Reason != deploymentRolledOut
		}
	}
	rollingOut := st.ObservedGeneration < d.Generation || st.UpdatedReplicas < desired || st.Replicas > st.UpdatedReplicas ||
		(progressing && st.AvailableReplicas < desired)
	return workloadState{
		status: platformv1alpha1.ComponentStatus{
			Name: component, Kind: "Deployment", Desired: desired,
			Ready: st.AvailableReplicas, Updated: st.UpdatedReplicas, Image: image,
		},
		ready:      !rollingOut && st.AvailableReplicas >= desired,
		rollingOut: rollingOut,
	}
}

func statefulSetState(sts *appsv1.StatefulSet, component string) workloadState {
	ready, _, desired := statefulSetReady(sts)
	image := ""
	if cs := sts.Spec.Template.Spec.Containers; len(cs) > 0 {
		image = cs[0].Image
	}
	return workloadState{
		status: platformv1alpha1.ComponentStatus{
			Name: component, Kind: "StatefulSet", Desired: desired,
			Ready: sts.Status.ReadyReplicas, Updated: sts.Status.UpdatedReplicas, Image: image,
		},
		ready:      ready,
		rollingOut: sts.Status.ObservedGeneration < sts.Generation || sts.Status.UpdatedReplicas < desired,
	}
}

// componentOrder sorts components as they start: dependencies, services, gateway.
var componentOrder = append(append([]string{
	platformv1alpha1.ComponentPostgres, platformv1alpha1.ComponentRedis, platformv1alpha1.ComponentNATS,
}, catalog.Names()...), platformv1alpha1.ComponentGateway)

// observeWorkloads reads the platform's Deployments and StatefulSets from the cache.
func (r *EventsPlatformReconciler) observeWorkloads(ctx context.Context, p *platformv1alpha1.EventsPlatform) (map[string]workloadState, error) {
	states := map[string]workloadState{}
	var deployments appsv1.DeploymentList
	if err := r.Client.List(ctx, &deployments, client.InNamespace(p.Namespace), client.MatchingLabels(instanceLabels(p))); err != nil {
		return nil, fmt.Errorf("list deployments: %w", err)
	}
	for i := range deployments.Items {
		d := &deployments.Items[i]
		if metav1.IsControlledBy(d, p) {
			states[d.Labels[labelComponent]] = deploymentState(d, d.Labels[labelComponent])
		}
	}
	var statefulSets appsv1.StatefulSetList
	if err := r.Client.List(ctx, &statefulSets, client.InNamespace(p.Namespace), client.MatchingLabels(instanceLabels(p))); err != nil {
		return nil, fmt.Errorf("list statefulsets: %w", err)
	}
	for i := range statefulSets.Items {
		sts := &statefulSets.Items[i]
		if metav1.IsControlledBy(sts, p) {
			states[sts.Labels[labelComponent]] = statefulSetState(sts, sts.Labels[labelComponent])
		}
	}
	return states, nil
}

// startingGrace is how long a service's pods may take to become available before the
// platform calls them unavailable: their startup probe's budget and one readiness verdict
// (services.go).
const startingGrace = time.Duration(startupPeriod*startupFailures+readinessPeriod*readinessFailures) * time.Second

// componentsCondition sets the readiness condition of a group of Deployment components, which
// must run image.
func (s *scope) componentsCondition(conditionType string, components []string, states map[string]workloadState, image, what string) {
	var notReady []string
	rolling := false
	for _, c := range components {
		st, ok := states[c]
		switch {
		case !ok:
			notReady = append(notReady, c+" (not created yet)")
			rolling = true
		case st.status.Image != image:
			notReady = append(notReady, fmt.Sprintf("%s (runs %s)", c, st.status.Image))
			rolling = true
		case !st.ready:
			notReady = append(notReady, fmt.Sprintf("%s (%d/%d available)", c, st.status.Ready, st.status.Desired))
			rolling = rolling || st.rollingOut
		}
	}
	// Pods that are not available outside a rollout (a scale-up, which the Deployment does
	// not report as progress, a pod lost and replaced) get the time a pod may take to start
	// before they count as unavailable; the condition's last transition says since when.
	starting := false
	if !rolling && len(notReady) > 0 {
		since := time.Now()
		if prev := findCondition(s.platform, conditionType); prev != nil && prev.Status == metav1.ConditionFalse {
			since = prev.LastTransitionTime.Time
		}
		if left := startingGrace - time.Since(since); left > 0 {
			starting = true
			s.recheckAfter(left)
		}
	}
	switch {
	case len(notReady) == 0:
		s.setCondition(conditionType, metav1.ConditionTrue, platformv1alpha1.ReasonAvailable,
			fmt.Sprintf("%s available at %s", what, image))
	case rolling:
		s.setCondition(conditionType, metav1.ConditionFalse, platformv1alpha1.ReasonRollingOut,
			"Rolling out: "+strings.Join(notReady, ", "))
	case starting:
		s.setCondition(conditionType, metav1.ConditionFalse, platformv1alpha1.ReasonRollingOut,
			"Starting: "+strings.Join(notReady, ", "))
	default:
		s.setCondition(conditionType, metav1.ConditionFalse, platformv1alpha1.ReasonUnavailable,
			"Unavailable: "+strings.Join(notReady, ", "))
	}
}

// updateStatus works out the conditions, phase and components and writes the status when it
// changed. Nothing is written when nothing changed.
func (r *EventsPlatformReconciler) updateStatus(ctx context.Context, s *scope, before *platformv1alpha1.EventsPlatform, reconcileErr error) error {
	p := s.platform
	states, err := r.observeWorkloads(ctx, p)
	if err != nil {
		return err
	}
	paused := p.IsPaused()
	if !paused {
		r.readinessConditions(s, states)
	}
	r.summaryConditions(s, reconcileErr)

	p.Status.Components = p.Status.Components[:0]
	ready := 0
	for _, c := range componentOrder {
		if st, ok := states[c]; ok {
			p.Status.Components = append(p.Status.Components, st.status)
			if st.ready {
				ready++
			}
		}
	}
	if len(p.Status.Components) == 0 {
		p.Status.Components = nil
	}
	p.Status.ReadyComponents = fmt.Sprintf("%d/%d", ready, len(p.Status.Components))
	p.Status.Endpoint = endpoint(p)
	p.Status.ProvidedServices = catalog.ProvidedNames()
	if !paused {
		p.Status.ObservedGeneration = p.Generation
	}

	isReady := meta.IsStatusConditionTrue(p.Status.Conditions, platformv1alpha1.ConditionReady)
	platformReady.WithLabelValues(p.Namespace, p.Name).Set(map[bool]float64{true: 1, false: 0}[isReady])
	for _, phase := range []platformv1alpha1.Phase{platformv1alpha1.PhasePending, platformv1alpha1.PhaseProvisioning,
		platformv1alpha1.PhaseMigrating, platformv1alpha1.PhaseReady, platformv1alpha1.PhaseDegraded,
		platformv1alpha1.PhasePaused, platformv1alpha1.PhaseFailed} {
		platformPhase.WithLabelValues(p.Namespace, p.Name, string(phase)).Set(map[bool]float64{true: 1, false: 0}[phase == p.Status.Phase])
	}

	if before.Status.Phase != p.Status.Phase {
		switch p.Status.Phase {
		case platformv1alpha1.PhaseReady:
			r.event(p, corev1.EventTypeNormal, "Ready", "Reconcile", "The platform is ready at version %s", p.Spec.Version)
		case platformv1alpha1.PhaseDegraded, platformv1alpha1.PhaseFailed:
			c := findCondition(p, platformv1alpha1.ConditionDegraded)
			r.event(p, corev1.EventTypeWarning, string(p.Status.Phase), "Reconcile", "%s", c.Message)
		}
	}
	if equality.Semantic.DeepEqual(before.Status, p.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, p, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// readinessConditions sets the conditions of the steps the reconcile did not reach and the
// readiness of the services and the gateway.
func (r *EventsPlatformReconciler) readinessConditions(s *scope, states map[string]workloadState) {
	p := s.platform
	blocked := func(conditionType string) {
		if !s.touched[conditionType] {
			reason, msg := s.blockedBy, s.blockedMessage
			if reason == "" {
				reason, msg = platformv1alpha1.ReasonReconciling, "Not reconciled yet"
			}
			s.setCondition(conditionType, metav1.ConditionFalse, reason, msg)
		}
	}
	blocked(platformv1alpha1.ConditionDependenciesReady)
	blocked(platformv1alpha1.ConditionMigrationsComplete)
	if s.runVersion == "" || s.blockedBy != "" {
		blocked(platformv1alpha1.ConditionServicesReady)
		blocked(platformv1alpha1.ConditionGatewayReady)
		blocked(platformv1alpha1.ConditionRetrainingScheduled)
		return
	}
	image := p.ImageRef(p.Spec.Version)
	if s.runVersion != p.Spec.Version {
		reason := platformv1alpha1.ReasonWaitingForMigration
		if c := findCondition(p, platformv1alpha1.ConditionMigrationsComplete); c != nil && c.Reason == platformv1alpha1.ReasonMigrationFailed {
			reason = platformv1alpha1.ReasonMigrationFailed
		}
		msg := fmt.Sprintf("Running version %s until the migrations of version %s complete", s.runVersion, p.Spec.Version)
		s.setCondition(platformv1alpha1.ConditionServicesReady, metav1.ConditionFalse, reason, msg)
		s.setCondition(platformv1alpha1.ConditionGatewayReady, metav1.ConditionFalse, reason, msg)
	} else {
		enabled := deployedServices(p)
		s.componentsCondition(platformv1alpha1.ConditionServicesReady, enabled, states, image,
			fmt.Sprintf("%d services", len(enabled)))
		s.componentsCondition(platformv1alpha1.ConditionGatewayReady, []string{platformv1alpha1.ComponentGateway}, states, image,
			"The gateway is")
	}
	blocked(platformv1alpha1.ConditionRetrainingScheduled)
}

// summaryConditions derives Ready, Progressing and Degraded and the phase from the others.
func (r *EventsPlatformReconciler) summaryConditions(s *scope, reconcileErr error) {
	p := s.platform
	cond := func(t string) *metav1.Condition { return findCondition(p, t) }
	isCurrent := func(t string) bool {
		c := cond(t)
		return c != nil && c.Status == metav1.ConditionTrue && c.ObservedGeneration == p.Generation
	}

	if p.IsPaused() {
		p.Status.Phase = platformv1alpha1.PhasePaused
		if c := cond(platformv1alpha1.ConditionReady); c == nil || c.ObservedGeneration != p.Generation {
			s.setCondition(platformv1alpha1.ConditionReady, metav1.ConditionUnknown, platformv1alpha1.ReasonPaused,
				"Reconciliation is paused; this generation has not been reconciled")
		}
		return
	}

	required := []string{
		platformv1alpha1.ConditionDependenciesReady, platformv1alpha1.ConditionMigrationsComplete,
		platformv1alpha1.ConditionServicesReady, platformv1alpha1.ConditionGatewayReady,
	}
	var firstFalse *metav1.Condition
	for _, t := range required {
		if !isCurrent(t) && firstFalse == nil {
			firstFalse = cond(t)
		}
	}

	var phase platformv1alpha1.Phase
	degradedReason, degradedMsg := "", ""
	deps, mig := cond(platformv1alpha1.ConditionDependenciesReady), cond(platformv1alpha1.ConditionMigrationsComplete)
	wasRunning := p.Status.SchemaVersion != ""
	switch {
	case deps != nil && slices.Contains([]string{platformv1alpha1.ReasonSecretNotFound, platformv1alpha1.ReasonSecretKeyMissing}, deps.Reason):
		phase, degradedReason, degradedMsg = platformv1alpha1.PhaseFailed, deps.Reason, deps.Message
	case firstFalse == nil && reconcileErr == nil:
		phase = platformv1alpha1.PhaseReady
	case mig != nil && mig.Reason == platformv1alpha1.ReasonMigrationFailed:
		phase, degradedReason, degradedMsg = platformv1alpha1.PhaseDegraded, mig.Reason, mig.Message
	case deps != nil && deps.Status != metav1.ConditionTrue:
		phase = platformv1alpha1.PhaseProvisioning
		if wasRunning {
			phase, degradedReason, degradedMsg = platformv1alpha1.PhaseDegraded, deps.Reason, deps.Message
		}
	case mig != nil && mig.Status != metav1.ConditionTrue:
		phase = platformv1alpha1.PhaseMigrating
	case firstFalse != nil && firstFalse.Reason == platformv1alpha1.ReasonUnavailable:
		phase, degradedReason, degradedMsg = platformv1alpha1.PhaseDegraded, firstFalse.Reason, firstFalse.Message
	default:
		phase = platformv1alpha1.PhaseProvisioning
	}
	p.Status.Phase = phase

	if phase == platformv1alpha1.PhaseReady {
		s.setCondition(platformv1alpha1.ConditionReady, metav1.ConditionTrue, platformv1alpha1.ReasonAvailable,
			fmt.Sprintf("The platform serves version %s", p.Spec.Version))
	} else {
		reason, msg := platformv1alpha1.ReasonReconciling, "Reconciling"
		if reconcileErr != nil {
			reason, msg = platformv1alpha1.ReasonReconcileError, reconcileErr.Error()
		}
		if firstFalse != nil {
			reason, msg = firstFalse.Reason, firstFalse.Type+": "+firstFalse.Message
		}
		s.setCondition(platformv1alpha1.ConditionReady, metav1.ConditionFalse, reason, msg)
	}

	switch {
	case reconcileErr != nil:
		s.setCondition(platformv1alpha1.ConditionProgressing, metav1.ConditionTrue, platformv1alpha1.ReasonReconcileError, reconcileErr.Error())
	case phase == platformv1alpha1.PhaseProvisioning || phase == platformv1alpha1.PhaseMigrating:
		msg := "Reconciling"
		if firstFalse != nil {
			msg = firstFalse.Type + ": " + firstFalse.Message
		}
		s.setCondition(platformv1alpha1.ConditionProgressing, metav1.ConditionTrue, platformv1alpha1.ReasonReconciling, msg)
	default:
		s.setCondition(platformv1alpha1.ConditionProgressing, metav1.ConditionFalse, platformv1alpha1.ReasonAsExpected, "")
	}

	if degradedReason != "" {
		s.setCondition(platformv1alpha1.ConditionDegraded, metav1.ConditionTrue, degradedReason, degradedMsg)
	} else {
		s.setCondition(platformv1alpha1.ConditionDegraded, metav1.ConditionFalse, platformv1alpha1.ReasonAsExpected, "")
	}
}

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
	"maps"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// secretRefIndex indexes EventsPlatforms by the names of the external Secrets they reference.
const secretRefIndex = ".spec.secretRefs"

// platformChanged passes changes to a platform's spec (its generation) and to its annotations,
// which can pause it; the operator's own status writes do not trigger another reconcile.
func platformChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{})
}

// specChanged passes changes to the spec, labels or annotations of an owned object, not to its
// status: the operator reads the status of workloads and Jobs only, which have no such filter.
func specChanged() predicate.Predicate {
	return predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{},
		predicate.AnnotationChangedPredicate{})
}

// secretChanged passes a Secret's creation and deletion and changes to its data, type or owners.
func secretChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			oldSecret, ok1 := e.ObjectOld.(*corev1.Secret)
			newSecret, ok2 := e.ObjectNew.(*corev1.Secret)
			if !ok1 || !ok2 {
				return true
			}
			return !reflect.DeepEqual(oldSecret.Data, newSecret.Data) ||
				!maps.Equal(oldSecret.StringData, newSecret.StringData) ||
				oldSecret.Type != newSecret.Type ||
				!reflect.DeepEqual(oldSecret.OwnerReferences, newSecret.OwnerReferences)
		},
	}
}

// indexSecretRefs lists the external Secrets a platform reads.
func indexSecretRefs(obj client.Object) []string {
	p, ok := obj.(*platformv1alpha1.EventsPlatform)
	if !ok {
		return nil
	}
	var names []string
	for _, ext := range []*platformv1alpha1.ExternalDependency{p.Spec.Postgres.External, p.Spec.Postgres.ReadReplica, p.Spec.Redis.External, p.Spec.NATS.External} {
		if ext != nil {
			names = append(names, ext.SecretRef.Name)
		}
	}
	return names
}

// platformsForSecret maps a Secret to the platform that owns it or generated it (a generated
// Secret kept with the data has no owner: its labels name the platform) and to the platforms
// that reference it, so that a changed Secret reconciles them.
func (r *EventsPlatformReconciler) platformsForSecret(ctx context.Context, obj client.Object) []reconcile.Request {
	var requests []reconcile.Request
	seen := map[types.NamespacedName]bool{}
	add := func(name string) {
		key := types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}
		if !seen[key] {
			seen[key] = true
			requests = append(requests, reconcile.Request{NamespacedName: key})
		}
	}
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && ref.Kind == "EventsPlatform" &&
			ref.APIVersion == platformv1alpha1.GroupVersion.String() {
			add(ref.Name)
		}
	}
	if l := obj.GetLabels(); l[labelManagedBy] == managedBy && l[labelName] == appName && l[labelInstance] != "" {
		add(l[labelInstance])
	}
	var platforms platformv1alpha1.EventsPlatformList
	if err := r.Client.List(ctx, &platforms, client.InNamespace(obj.GetNamespace()),
		client.MatchingFields{secretRefIndex: obj.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "list platforms referencing a secret", "secret", obj.GetName())
		return requests
	}
	for _, p := range platforms.Items {
		add(p.Name)
	}
	return requests
}

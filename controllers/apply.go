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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// fieldOwner is the server-side apply field manager of everything the operator writes.
const fieldOwner = "events-platform-operator"

// applier writes desired objects with server-side apply. It remembers, per object, the desired
// state it last applied and the generation (or, for kinds without one, the resourceVersion) the
// API server answered with; while both still match, applying again could change nothing and no
// request is sent. So a reconcile with nothing to do writes nothing, while a change to the spec or
// someone else's edit of a child is still corrected on the next reconcile. After a restart the
// memory is empty and the first reconcile applies everything once.
type applier struct {
	client client.Client
	scheme *runtime.Scheme

	mu      sync.Mutex
	applied map[applyKey]appliedState
}

type applyKey struct {
	gvk             schema.GroupVersionKind
	namespace, name string
}

type appliedState struct {
	uid             types.UID
	digest          string
	generation      int64
	resourceVersion string
}

func newApplier(c client.Client, scheme *runtime.Scheme) *applier {
	return &applier{client: c, scheme: scheme, applied: map[applyKey]appliedState{}}
}

// apply makes the fields of obj that the operator owns as desired. It reports whether the
// object was created or changed. obj must carry its owner reference; an existing object of the
// same name controlled by something else is left alone and reported as an error.
func (a *applier) apply(ctx context.Context, obj client.Object) (bool, error) {
	gvk, err := apiutil.GVKForObject(obj, a.scheme)
	if err != nil {
		return false, fmt.Errorf("kind of %T: %w", obj, err)
	}
	desired, err := applyContent(obj, gvk)
	if err != nil {
		return false, fmt.Errorf("prepare %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	digest, err := digestOf(desired.Object)
	if err != nil {
		return false, err
	}
	key := applyKey{gvk: gvk, namespace: obj.GetNamespace(), name: obj.GetName()}

	live, err := a.live(ctx, obj, gvk)
	if err != nil {
		return false, err
	}
	if live != nil {
		if err := checkController(live, obj); err != nil {
			return false, fmt.Errorf("%s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		a.mu.Lock()
		last, ok := a.applied[key]
		a.mu.Unlock()
		if ok && last.uid == live.GetUID() && last.digest == digest && unchangedSince(live, last) {
			return false, nil
		}
	}

	if err := a.client.Apply(ctx, client.ApplyConfigurationFromUnstructured(desired),
		client.FieldOwner(fieldOwner), client.ForceOwnership); err != nil {
		return false, fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	a.mu.Lock()
	a.applied[key] = appliedState{
		uid:             desired.GetUID(),
		digest:          digest,
		generation:      desired.GetGeneration(),
		resourceVersion: desired.GetResourceVersion(),
	}
	a.mu.Unlock()
	return live == nil || live.GetResourceVersion() != desired.GetResourceVersion(), nil
}

// live reads the current object from the cache (typed kinds) or the API server (unstructured).
func (a *applier) live(ctx context.Context, obj client.Object, gvk schema.GroupVersionKind) (client.Object, error) {
	var live client.Object
	if _, ok := obj.(*unstructured.Unstructured); ok {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		live = u
	} else {
		o, err := a.scheme.New(gvk)
		if err != nil {
			return nil, fmt.Errorf("new %s: %w", gvk.Kind, err)
		}
		live = o.(client.Object)
	}
	err := a.client.Get(ctx, client.ObjectKeyFromObject(obj), live)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	return live, nil
}

// unchangedSince reports whether nobody has written live since the operator applied it. Kinds
// with a generation bump it only for spec changes, so status updates do not count.
func unchangedSince(live client.Object, last appliedState) bool {
	if live.GetGeneration() != 0 {
		return live.GetGeneration() == last.generation
	}
	return live.GetResourceVersion() == last.resourceVersion
}

// checkController refuses to take over an object controlled by another owner.
func checkController(live, desired client.Object) error {
	want := metav1.GetControllerOf(desired)
	got := metav1.GetControllerOf(live)
	if want == nil || got == nil || got.UID == want.UID {
		return nil
	}
	return fmt.Errorf("exists and is controlled by %s %s, not by this EventsPlatform", got.Kind, got.Name)
}

// forget drops what the applier remembers of an object, after it was deleted.
func (a *applier) forget(gvk schema.GroupVersionKind, namespace, name string) {
	a.mu.Lock()
	delete(a.applied, applyKey{gvk: gvk, namespace: namespace, name: name})
	a.mu.Unlock()
}

// applyContent turns a typed object into the body of an apply request: the fields that were
// set, without status and without the null creationTimestamps that typed objects carry.
func applyContent(obj client.Object, gvk schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	var content map[string]any
	if u, ok := obj.(*unstructured.Unstructured); ok {
		content = runtime.DeepCopyJSON(u.Object)
	} else {
		var err error
		content, err = runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
	}
	delete(content, "status")
	dropNulls(content)
	if claims, ok := nestedSlice(content, "spec", "volumeClaimTemplates"); ok {
		for _, c := range claims {
			if m, ok := c.(map[string]any); ok {
				delete(m, "status")
			}
		}
	}
	u := &unstructured.Unstructured{Object: content}
	u.SetGroupVersionKind(gvk)
	return u, nil
}

func nestedSlice(m map[string]any, fields ...string) ([]any, bool) {
	v, ok, err := unstructured.NestedFieldNoCopy(m, fields...)
	if err != nil || !ok {
		return nil, false
	}
	s, ok := v.([]any)
	return s, ok
}

// dropNulls removes null values: in an apply request they would mean "remove this field".
func dropNulls(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if e == nil {
				delete(t, k)
				continue
			}
			dropNulls(e)
		}
	case []any:
		for _, e := range t {
			dropNulls(e)
		}
	}
}

func digestOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// deleteOwned deletes obj (which names the object to delete) if it exists and this platform
// controls it. It reports whether something was deleted.
func (a *applier) deleteOwned(ctx context.Context, p *platformv1alpha1.EventsPlatform, obj client.Object) (bool, error) {
	gvk, err := apiutil.GVKForObject(obj, a.scheme)
	if err != nil {
		return false, err
	}
	if err := a.client.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		if apierrors.IsNotFound(err) {
			a.forget(gvk, obj.GetNamespace(), obj.GetName())
			return false, nil
		}
		return false, fmt.Errorf("get %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != p.UID {
		return false, nil
	}
	if obj.GetDeletionTimestamp() != nil {
		return false, nil
	}
	err = a.client.Delete(ctx, obj, client.PropagationPolicy(metav1.DeletePropagationBackground),
		client.Preconditions{UID: ptr.To(obj.GetUID())})
	if err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("delete %s %s: %w", gvk.Kind, obj.GetName(), err)
	}
	a.forget(gvk, obj.GetNamespace(), obj.GetName())
	return err == nil, nil
}

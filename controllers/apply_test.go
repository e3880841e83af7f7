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
	"testing"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func testLogger() logr.Logger { return logr.Discard() }

func TestApplyContent(t *testing.T) {
	sts := desiredPostgres(samplePlatform())
	u, err := applyContent(sts, appsv1.SchemeGroupVersion.WithKind("StatefulSet"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u.Object["status"]; ok {
		t.Error("apply body has a status")
	}
	if _, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "creationTimestamp"); ok {
		t.Error("apply body has metadata.creationTimestamp")
	}
	if _, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "template", "metadata", "creationTimestamp"); ok {
		t.Error("apply body has the template's creationTimestamp")
	}
	claims, _ := nestedSlice(u.Object, "spec", "volumeClaimTemplates")
	if _, ok := claims[0].(map[string]any)["status"]; ok {
		t.Error("apply body has a volume claim template status")
	}
	if u.GetAPIVersion() != "apps/v1" || u.GetKind() != "StatefulSet" {
		t.Errorf("apply body is %s %s", u.GetAPIVersion(), u.GetKind())
	}
	d1, _ := digestOf(u.Object)
	u2, _ := applyContent(desiredPostgres(samplePlatform()), appsv1.SchemeGroupVersion.WithKind("StatefulSet"))
	d2, _ := digestOf(u2.Object)
	if d1 != d2 {
		t.Error("the same desired object digests differently")
	}
}

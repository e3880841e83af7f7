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
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The VERSION file is the one version source: the chart's version and appVersion, the
// samples' spec.version and the Makefile's VERSION (the binary's `version` and the image
// tags) all say what it says. The operator image defaults to appVersion, so `helm install`
// of a chart runs the operator built with it.
func TestVersionsAgree(t *testing.T) {
	raw, err := os.ReadFile("../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(raw))
	if want == "" {
		t.Fatal("VERSION is empty")
	}

	raw, err = os.ReadFile("../charts/events-platform/Chart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Version    string `json:"version"`
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		t.Fatal(err)
	}
	if chart.Version != want || chart.AppVersion != want {
		t.Errorf("Chart.yaml: version %q, appVersion %q: want both %q (VERSION)", chart.Version, chart.AppVersion, want)
	}
	raw, err = os.ReadFile("../charts/events-platform/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image struct {
			Tag string `json:"tag"`
		} `json:"image"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	if values.Image.Tag != "" {
		t.Errorf("values.yaml image.tag = %q: leave it empty so the image follows appVersion", values.Image.Tag)
	}

	samples, err := filepath.Glob("../config/samples/platform_*.yaml")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples found (%v)", err)
	}
	for _, f := range samples {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var sample struct {
			Spec struct {
				Version string `json:"version"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(raw, &sample); err != nil {
			t.Fatal(err)
		}
		if sample.Spec.Version != want {
			t.Errorf("%s: spec.version = %q, want %q (VERSION)", filepath.Base(f), sample.Spec.Version, want)
		}
	}

	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make here to ask the Makefile its VERSION")
	}
	cmd := exec.Command("make", "-s", "--no-print-directory", "version")
	cmd.Dir = ".."
	// What the environment says is not the file.
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "VERSION=") })
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make version: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("make version = %q, want %q (VERSION): the binary and the images are stamped with it", got, want)
	}
}

// A user's `make helm` then `bin/helm template charts/events-platform`, exactly, works (no
// --kube-version: helm is built knowing its Kubernetes version), and renders the CRD as a
// template that `helm upgrade` updates and `helm uninstall` keeps.
func TestHelmTemplateAsWritten(t *testing.T) {
	if _, err := os.Stat("../bin/helm"); err != nil {
		t.Skip("bin/helm is missing: `make helm` builds it (make test does)")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bin/helm", "template", "charts/events-platform")
	cmd.Dir = ".."
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bin/helm template charts/events-platform: %v: %s", err, stderr.String())
	}

	raw, err := os.ReadFile("../config/crd/bases/platform.events-platform.io_eventsplatforms.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var generated apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(raw, &generated); err != nil {
		t.Fatal(err)
	}
	var crds []apiextensionsv1.CustomResourceDefinition
	dec := utilyaml.NewYAMLOrJSONDecoder(&stdout, 4096)
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		err := dec.Decode(&crd)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("decode helm template output: %v", err)
		}
		if crd.Kind == "CustomResourceDefinition" {
			crds = append(crds, crd)
		}
	}
	if len(crds) != 1 {
		t.Fatalf("helm template renders %d CRDs, want 1 (templates/crds.yaml)", len(crds))
	}
	crd := crds[0]
	if got := crd.Annotations["helm.sh/resource-policy"]; got != "keep" {
		t.Errorf("CRD annotation helm.sh/resource-policy = %q, want keep (uninstall must not delete every platform)", got)
	}
	if crd.Name != generated.Name || !equality.Semantic.DeepEqual(crd.Spec, generated.Spec) {
		t.Errorf("the chart's CRD %s differs from config/crd/bases (%s): run make manifests", crd.Name, generated.Name)
	}
	if _, err := os.Stat("../charts/events-platform/crds"); err == nil {
		t.Error("charts/events-platform/crds exists: Helm never upgrades what is there; the CRD is a template")
	}
}

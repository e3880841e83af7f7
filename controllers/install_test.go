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
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The install paths (samples, kustomize, Helm chart) are checked against the envtest API
// server with server-side dry runs: every object must be accepted as it would be on install.

const chartDir = "../charts/events-platform"

// decodeManifests splits a multi-document YAML stream into objects.
func decodeManifests(data []byte) []*unstructured.Unstructured {
	GinkgoHelper()
	var objs []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return objs
		}
		Expect(err).NotTo(HaveOccurred())
		if len(u.Object) > 0 {
			objs = append(objs, u)
		}
	}
}

// dryRunApply applies every object with a server-side dry run; namespaces are created for real
// first, since a dry-run object cannot live in a namespace that does not exist.
func dryRunApply(objs []*unstructured.Unstructured, namespace string) {
	GinkgoHelper()
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			err := k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: u.GetName()}})
			if !apierrors.IsAlreadyExists(err) {
				Expect(err).NotTo(HaveOccurred())
			}
		}
	}
	for _, u := range objs {
		if u.GetKind() == "Namespace" {
			continue
		}
		if namespace != "" && u.GetNamespace() == "" {
			namespaced, err := k8sClient.IsObjectNamespaced(u)
			Expect(err).NotTo(HaveOccurred(), "%s %s", u.GetKind(), u.GetName())
			if namespaced {
				u.SetNamespace(namespace)
			}
		}
		err := k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(u),
			client.DryRunAll, client.FieldOwner("install-test"), client.ForceOwnership)
		Expect(err).NotTo(HaveOccurred(), "%s %s", u.GetKind(), u.GetName())
	}
}

func helmBinary() string {
	GinkgoHelper()
	path, err := filepath.Abs(filepath.Join("..", "bin", "helm"))
	Expect(err).NotTo(HaveOccurred())
	if _, err := os.Stat(path); err != nil {
		Skip("bin/helm is missing: `make helm` builds it (make test does)")
	}
	return path
}

func run(name string, args ...string) string {
	GinkgoHelper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	Expect(cmd.Run()).To(Succeed(), "%s %s: %s%s", filepath.Base(name), strings.Join(args, " "), stdout.String(), stderr.String())
	return stdout.String()
}

var _ = Describe("Install paths", func() {
	It("accepts the samples", func() {
		ns := newNamespace()
		files, err := filepath.Glob("../config/samples/platform_*.yaml")
		Expect(err).NotTo(HaveOccurred())
		Expect(files).To(HaveLen(2))
		for _, f := range files {
			data, err := os.ReadFile(f)
			Expect(err).NotTo(HaveOccurred())
			dryRunApply(decodeManifests(data), ns)
		}
	})

	It("accepts the kustomize install (config/default)", func() {
		out, err := kubectl("kustomize", "../config/default")
		Expect(err).NotTo(HaveOccurred(), out)
		objs := decodeManifests([]byte(out))
		kinds := map[string]int{}
		for _, o := range objs {
			kinds[o.GetKind()]++
		}
		Expect(kinds).To(HaveKeyWithValue("CustomResourceDefinition", 1))
		Expect(kinds).To(HaveKeyWithValue("Deployment", 1))
		Expect(kinds).To(HaveKey("ClusterRole"))
		dryRunApply(objs, "")
	})

	DescribeTable("the Helm chart lints strictly and its output is accepted by the API server",
		func(valuesFile string) {
			helm := helmBinary()
			ns := newNamespace()
			args := []string{}
			if valuesFile != "" {
				args = append(args, "-f", filepath.Join(chartDir, valuesFile))
			}
			run(helm, append([]string{"lint", "--strict", chartDir}, args...)...)
			out := run(helm, append([]string{"template", "evp", chartDir, "--namespace", ns}, args...)...)
			objs := decodeManifests([]byte(out))
			Expect(objs).NotTo(BeEmpty())
			dryRunApply(objs, ns)
		},
		Entry("with default values", ""),
		Entry("with every value set", "ci/full-values.yaml"),
	)

	It("ships the CRD and RBAC rules that make manifests generates", func() {
		for _, pair := range [][2]string{
			{"../config/crd/bases/platform.events-platform.io_eventsplatforms.yaml", chartDir + "/files/crds/platform.events-platform.io_eventsplatforms.yaml"},
			{"../config/rbac/role.yaml", chartDir + "/files/manager-role.yaml"},
		} {
			want, err := os.ReadFile(pair[0])
			Expect(err).NotTo(HaveOccurred())
			got, err := os.ReadFile(pair[1])
			Expect(err).NotTo(HaveOccurred())
			Expect(string(got)).To(Equal(string(want)), "%s is stale: run make manifests", pair[1])
		}
	})
})

//go:build e2e

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

// Package e2e installs the operator with Helm on a kind cluster, creates the sample platform and
// calls its API. It needs a running container engine (docker or podman), kind, kubectl and
// bin/helm; without them every spec is skipped with the reason. Run it with `make e2e`.
package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var (
	root        string
	clusterName = envOr("KIND_CLUSTER", "events-platform-e2e")
	version     = envOr("VERSION", "e2e")
	platformImg = "ghcr.io/events-platform/events-platform:" + version
	operatorImg = "ghcr.io/events-platform/events-platform-operator:" + version
	// createdCluster records whether this run made the kind cluster, so that it removes it.
	createdCluster bool
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Events Platform e2e Suite")
}

var _ = BeforeSuite(func() {
	var err error
	root, err = filepath.Abs(filepath.Join("..", ".."))
	Expect(err).NotTo(HaveOccurred())

	if reason := missingPrerequisite(); reason != "" {
		Skip("e2e skipped: " + reason + " (the e2e tests need a running docker or podman, kind and kubectl)")
	}
	if !strings.Contains(mustRun("kind", "get", "clusters"), clusterName) {
		mustRun("kind", "create", "cluster", "--name", clusterName, "--wait", "120s")
		createdCluster = true
	}
	mustRun("make", "-C", root, "docker-build", "VERSION="+version, "IMG="+platformImg, "OPERATOR_IMG="+operatorImg)
	for _, img := range []string{platformImg, operatorImg} {
		mustRun("kind", "load", "docker-image", img, "--name", clusterName)
	}
	mustRun("make", "-C", root, "helm")
})

var _ = AfterSuite(func() {
	if createdCluster && os.Getenv("E2E_KEEP_CLUSTER") == "" {
		_, _ = run("kind", "delete", "cluster", "--name", clusterName)
	}
})

// missingPrerequisite names what is missing to run the e2e tests, or returns "".
func missingPrerequisite() string {
	engine := ""
	for _, e := range []string{"docker", "podman"} {
		if _, err := exec.LookPath(e); err == nil {
			if _, err := run(e, "info"); err == nil {
				engine = e
				break
			}
		}
	}
	if engine == "" {
		return "no container engine is running (docker info and podman info both fail or are not installed)"
	}
	for _, tool := range []string{"kind", "kubectl"} {
		if _, err := exec.LookPath(tool); err != nil {
			return tool + " is not installed"
		}
	}
	return ""
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// run runs a command in the repository and returns its output.
func run(name string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &out, &out
	fmt.Fprintf(GinkgoWriter, "$ %s %s\n", name, strings.Join(args, " "))
	err := cmd.Run()
	return out.String(), err
}

func mustRun(name string, args ...string) string {
	GinkgoHelper()
	out, err := run(name, args...)
	Expect(err).NotTo(HaveOccurred(), out)
	return out
}

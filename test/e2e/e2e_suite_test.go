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

// Package e2e installs the operator with Helm on a real cluster, creates a platform and
// follows it through its life: Ready through its conditions, the API through the gateway
// (including a websocket and recommendations), an upgrade, a scale change, a lost pod, and
// an uninstall that keeps the data. Run it with `make e2e` (hack/e2e.sh), which picks the
// cluster:
//
//   - E2E_CLUSTER=local: the single-node cluster of hack/cluster.sh, already up, with the
//     images of hack/images.sh imported; KUBECONFIG names it and E2E_IMAGES lists the images
//     (images.txt) the platform's dependencies and `helm test` use.
//   - otherwise kind, with a running docker or podman: the images are built with docker and
//     loaded into a kind cluster this suite creates (and deletes).
//
// On a failure the suite writes the cluster's state (pod logs, events, the platform's status)
// under E2E_ARTIFACTS (bin/e2e-artifacts by default).
package e2e

import (
	"bufio"
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
	// nextVersion is the version the upgrade goes to: the same code, another image tag.
	nextVersion = envOr("NEXT_VERSION", "e2e-next")
	platformImg = "ghcr.io/events-platform/events-platform:" + version
	operatorImg = "ghcr.io/events-platform/events-platform-operator:" + version
	// images are the images of the platform's dependencies and of `helm test`, by component
	// (postgres, redis, nats, busybox); empty: the operator's and the chart's defaults.
	images = map[string]string{}
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

	if os.Getenv("E2E_CLUSTER") == "local" {
		Expect(os.Getenv("KUBECONFIG")).NotTo(BeEmpty(), "E2E_CLUSTER=local needs KUBECONFIG (hack/cluster.sh kubeconfig)")
		images = readImages(os.Getenv("E2E_IMAGES"))
		mustRun("kubectl", "get", "nodes")
		mustRun("make", "-C", root, "helm")
		return
	}
	if reason := missingPrerequisite(); reason != "" {
		Skip("e2e skipped: " + reason + " (the e2e tests need a running docker or podman, kind and kubectl, or E2E_CLUSTER=local: see hack/e2e.sh)")
	}
	if !strings.Contains(mustRun("kind", "get", "clusters"), clusterName) {
		mustRun("kind", "create", "cluster", "--name", clusterName, "--wait", "120s")
		createdCluster = true
	}
	for _, v := range []string{version, nextVersion} {
		platform, operator := "ghcr.io/events-platform/events-platform:"+v, "ghcr.io/events-platform/events-platform-operator:"+v
		mustRun("make", "-C", root, "docker-build", "VERSION="+v, "IMG="+platform, "OPERATOR_IMG="+operator)
		for _, img := range []string{platform, operator} {
			mustRun("kind", "load", "docker-image", img, "--name", clusterName)
		}
	}
	mustRun("make", "-C", root, "helm")
})

var _ = AfterSuite(func() {
	if createdCluster && os.Getenv("E2E_KEEP_CLUSTER") == "" {
		_, _ = run("kind", "delete", "cluster", "--name", clusterName)
	}
})

// readImages reads hack/images.sh's list: "component image archive" per line.
func readImages(path string) map[string]string {
	GinkgoHelper()
	Expect(path).NotTo(BeEmpty(), "E2E_IMAGES names hack/images.sh's images.txt")
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 {
			m[fields[0]] = fields[1]
		}
	}
	Expect(sc.Err()).NotTo(HaveOccurred())
	return m
}

// missingPrerequisite names what is missing to run the e2e tests on kind, or returns "".
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

// artefacts is the folder the run's artefacts go to, made if need be.
func artefacts() string {
	dir := os.Getenv("E2E_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(root, "bin", "e2e-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintf(GinkgoWriter, "artefacts: %v\n", err)
	}
	return dir
}

// collectArtefacts writes what explains a failure in namespace ns: the platform's status,
// every object's state, the events, and each container's log (and its previous one).
func collectArtefacts(ns string) {
	dir := artefacts()
	save := func(name string, args ...string) {
		out, err := run("kubectl", args...)
		if err == nil || !strings.HasSuffix(name, ".previous.log") { // most containers have no previous log
			_ = os.WriteFile(filepath.Join(dir, name), []byte(out), 0o644)
		}
	}
	save("platform.yaml", "-n", ns, "get", "eventsplatform", "-o", "yaml")
	save("objects.txt", "-n", ns, "get", "all,pvc,jobs,cronjobs,secrets,configmaps", "-o", "wide")
	save("events.txt", "-n", ns, "get", "events", "--sort-by=.lastTimestamp")
	save("pods.txt", "-n", ns, "describe", "pods")
	save("nodes.txt", "describe", "nodes")
	save("pvs.txt", "get", "pv,storageclass", "-o", "wide")
	pods, _ := run("kubectl", "-n", ns, "get", "pods", "-o", "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}")
	for _, pod := range strings.Fields(pods) {
		save(pod+".log", "-n", ns, "logs", pod, "--all-containers", "--timestamps")
		save(pod+".previous.log", "-n", ns, "logs", pod, "--all-containers", "--timestamps", "--previous")
	}
	fmt.Fprintf(GinkgoWriter, "artefacts of the failure in %s\n", dir)
}

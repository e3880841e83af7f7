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

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/events-platform/events-platform/internal/catalog"
)

const (
	ns       = "events-platform-e2e"
	release  = "evp"
	platform = "demo"
)

// conditions are what Ready is made of; the suite waits for each, so that a failure names
// the part that did not come up.
var conditions = []string{"DependenciesReady", "MigrationsComplete", "ServicesReady", "GatewayReady", "Ready"}

var _ = Describe("The platform on a cluster", Ordered, func() {
	var api *client

	BeforeAll(func() {
		install()
		DeferCleanup(func() {
			// What the cluster said along the way, kept whatever the outcome.
			if out, err := run("kubectl", "-n", ns, "get", "events", "--sort-by=.lastTimestamp"); err == nil {
				_ = os.WriteFile(filepath.Join(artefacts(), "events-of-the-run.txt"), []byte(out), 0o644)
			}
			_, _ = run("bin/helm", "uninstall", release, "--namespace", ns, "--wait", "--timeout", "3m")
		})
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			collectArtefacts(ns)
		}
	})

	It("runs the operator", func() {
		mustRun("kubectl", "-n", ns, "rollout", "status", "deployment/"+release+"-events-platform", "--timeout=3m")
	})

	It("brings the platform to Ready through its conditions", func() {
		waitReady(10 * time.Minute)
		out := mustRun("kubectl", "-n", ns, "get", "evp", platform)
		Expect(out).To(MatchRegexp(platform + `\s+True\s+Ready`))
		Expect(jsonpath("{.status.schemaVersion}")).NotTo(BeEmpty())
	})

	It("passes helm test", func() {
		mustRun("bin/helm", "test", release, "--namespace", ns, "--timeout", "3m")
	})

	It("serves the API through the gateway's Service", func() {
		api = openGateway()
		api.checkFlow()
	})

	It("upgrades: the migration Job runs before any service rolls", func() {
		mustRun("bin/helm", "upgrade", release, "charts/events-platform", "--namespace", ns,
			"--reuse-values", "--set", "platform.spec.version="+nextVersion, "--wait", "--timeout", "5m")
		waitReady(10 * time.Minute)
		Expect(jsonpath("{.status.components[?(@.name=='events')].image}")).To(HaveSuffix(":" + nextVersion))

		job := fmt.Sprintf("%s-migrate-%s", platform, nextVersion)
		completed := mustParseTime(mustRun("kubectl", "-n", ns, "get", "job", job, "-o", "jsonpath={.status.completionTime}"))
		rolled := []string{}
		for _, rs := range listReplicaSets() {
			if !strings.HasSuffix(rs.image, ":"+nextVersion) {
				continue
			}
			rolled = append(rolled, rs.component)
			Expect(rs.created.Before(completed)).To(BeFalse(),
				"ReplicaSet %s (%s) was made at %s, before the migration Job completed at %s", rs.name, rs.image, rs.created, completed)
		}
		slices.Sort(rolled)
		Expect(slices.Compact(rolled)).To(ConsistOf(catalog.Targets()), "every service and the gateway roll to the new version")
		api.checkStillThere()
	})

	It("scales a service", func() {
		mustRun("bin/helm", "upgrade", release, "charts/events-platform", "--namespace", ns,
			"--reuse-values", "--set", "platform.spec.services.search.replicas=2", "--wait", "--timeout", "5m")
		Eventually(func() string {
			return jsonpath("{.status.components[?(@.name=='search')].ready}")
		}, 5*time.Minute, 2*time.Second).Should(Equal("2"))
		mustRun("kubectl", "-n", ns, "rollout", "status", "deployment/"+platform+"-search", "--timeout=3m")
		waitReady(5 * time.Minute)
		api.checkSearch()
		expectNoWarnings()
	})

	It("replaces a lost service pod and returns to Ready", func() {
		selector := "app.kubernetes.io/instance=" + platform + ",app.kubernetes.io/component=events"
		before := strings.Fields(mustRun("kubectl", "-n", ns, "get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}"))
		Expect(before).NotTo(BeEmpty())
		mustRun("kubectl", "-n", ns, "delete", "pod", before[0], "--wait=true")
		// The replacement (the deleted pod is gone: --wait) becomes ready, then the platform.
		Eventually(func() string {
			out, _ := run("kubectl", "-n", ns, "get", "pods", "-l", selector, "-o", "jsonpath={.items[*].metadata.name}")
			return out
		}, time.Minute, time.Second).ShouldNot(Or(BeEmpty(), ContainSubstring(before[0])))
		mustRun("kubectl", "-n", ns, "wait", "pods", "-l", selector, "--for=condition=Ready", "--timeout=3m")
		waitReady(3 * time.Minute)
		api.checkStillThere()
		expectNoWarnings()
	})

	It("uninstalls with Helm and keeps the data", func() {
		claims := strings.Fields(mustRun("kubectl", "-n", ns, "get", "pvc", "-o", "jsonpath={.items[*].metadata.name}"))
		Expect(claims).To(ContainElements("data-"+platform+"-postgres-0", "data-"+platform+"-redis-0", "data-"+platform+"-nats-0"))
		mustRun("bin/helm", "uninstall", release, "--namespace", ns, "--wait", "--timeout", "3m")
		Eventually(func() string {
			out, _ := run("kubectl", "-n", ns, "get", "statefulsets,deployments,eventsplatforms", "-o", "name")
			return out
		}, 3*time.Minute, 2*time.Second).Should(BeEmpty())
		kept := strings.Fields(mustRun("kubectl", "-n", ns, "get", "pvc", "-o", "jsonpath={.items[*].metadata.name}"))
		Expect(kept).To(ConsistOf(claims))
		// What opens the data is kept with it.
		secrets := strings.Fields(mustRun("kubectl", "-n", ns, "get", "secrets", "-o", "jsonpath={.items[*].metadata.name}"))
		Expect(secrets).To(ContainElements(platform+"-postgres-credentials", platform+"-jwt"))
	})

	It("installs again on the kept data", func() {
		install()
		waitReady(10 * time.Minute)
		api.checkStillThere()
	})
})

// install installs the chart and then creates the platform: the chart installs the CRD, so
// the platform comes with a second step (templates/platform.yaml says why).
func install() {
	GinkgoHelper()
	mustRun("bin/helm", "upgrade", "--install", release, "charts/events-platform",
		"--namespace", ns, "--create-namespace", "--wait", "--timeout", "5m",
		"--set", "image.tag="+version, "--set", "image.pullPolicy=IfNotPresent")
	mustRun("bin/helm", "upgrade", release, "charts/events-platform", "--namespace", ns,
		"--reuse-values", "-f", writeValues(platformValues(version)), "--wait", "--timeout", "5m")
}

// platformValues are the chart values that create the platform at version v, on the images
// of E2E_IMAGES when the cluster has no registry, with every organizer trusted (the flow
// publishes as a new organizer).
func platformValues(v string) map[string]any {
	trustAll := []map[string]string{{"name": "MODERATION_TRUST_AFTER", "value": "0"}}
	dependency := func(component, size string) map[string]any {
		m := map[string]any{"storage": map[string]string{"size": size}}
		if img := images[component]; img != "" {
			m["image"] = img
		}
		return map[string]any{"managed": m}
	}
	values := map[string]any{
		"platform": map[string]any{
			"create": true,
			"name":   platform,
			"spec": map[string]any{
				"version":         v,
				"imagePullPolicy": "IfNotPresent",
				"postgres":        dependency("postgres", "2Gi"),
				"redis":           dependency("redis", "1Gi"),
				"nats":            dependency("nats", "1Gi"),
				"services": map[string]any{
					"events":   map[string]any{"env": trustAll},
					"curation": map[string]any{"env": trustAll},
				},
			},
		},
	}
	if img := images["busybox"]; img != "" {
		values["tests"] = map[string]any{"image": img}
	}
	return values
}

func writeValues(values map[string]any) string {
	GinkgoHelper()
	b, err := json.Marshal(values) // JSON is YAML
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(GinkgoT().TempDir(), "values.yaml")
	Expect(os.WriteFile(path, b, 0o644)).To(Succeed())
	return path
}

// waitReady waits for each condition in turn, then for the status to describe the current
// generation.
func waitReady(timeout time.Duration) {
	GinkgoHelper()
	deadline := time.Now().Add(timeout)
	for _, c := range conditions {
		left := time.Until(deadline).Round(time.Second)
		if left < time.Second {
			left = time.Second
		}
		mustRun("kubectl", "-n", ns, "wait", "eventsplatform/"+platform, "--for=condition="+c, "--timeout="+left.String())
	}
	Eventually(func() bool {
		return jsonpath("{.status.observedGeneration}") == jsonpath("{.metadata.generation}") &&
			jsonpath("{.status.conditions[?(@.type=='Ready')].status}") == "True"
	}, time.Until(deadline)+time.Second, time.Second).Should(BeTrue())
}

// expectNoWarnings: starting, upgrading, scaling and replacing a lost pod are progress, not
// faults: none may have made the platform Degraded (pods starting and a scale-up used to).
func expectNoWarnings() {
	GinkgoHelper()
	Expect(mustRun("kubectl", "-n", ns, "get", "events", "--field-selector", "involvedObject.kind=EventsPlatform,type=Warning",
		"-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers")).To(BeEmpty())
}

func jsonpath(expr string) string {
	out, _ := run("kubectl", "-n", ns, "get", "eventsplatform", platform, "-o", "jsonpath="+expr)
	return strings.TrimSpace(out)
}

type replicaSet struct {
	name, component, image string
	created                time.Time
}

// listReplicaSets are the platform's ReplicaSets with their component and the image of their
// first container.
func listReplicaSets() []replicaSet {
	GinkgoHelper()
	out := mustRun("kubectl", "-n", ns, "get", "replicasets", "-l", "app.kubernetes.io/instance="+platform, "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.metadata.labels.app\.kubernetes\.io/component} {.spec.template.spec.containers[0].image} {.metadata.creationTimestamp}{"\n"}{end}`)
	var list []replicaSet
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue
		}
		list = append(list, replicaSet{name: f[0], component: f[1], image: f[2], created: mustParseTime(f[3])})
	}
	return list
}

func mustParseTime(s string) time.Time {
	GinkgoHelper()
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	Expect(err).NotTo(HaveOccurred(), "time %q", s)
	return t
}

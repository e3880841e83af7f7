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
	"io"
	"net/http"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Installing with Helm and creating the sample", Ordered, func() {
	const ns = "events-platform-e2e"

	BeforeAll(func() {
		mustRun("bin/helm", "upgrade", "--install", "evp", "charts/events-platform",
			"--namespace", ns, "--create-namespace", "--wait", "--timeout", "5m",
			"--set", "image.tag="+version, "--set", "image.pullPolicy=IfNotPresent")
		DeferCleanup(func() {
			_, _ = run("kubectl", "-n", ns, "delete", "eventsplatform", "--all", "--wait=true", "--timeout=3m")
			_, _ = run("bin/helm", "uninstall", "evp", "--namespace", ns)
		})
	})

	It("runs the operator", func() {
		mustRun("kubectl", "-n", ns, "rollout", "status", "deployment/evp-events-platform", "--timeout=3m")
		mustRun("bin/helm", "test", "evp", "--namespace", ns, "--timeout", "3m")
	})

	It("brings the sample platform to Ready", func() {
		mustRun("kubectl", "-n", ns, "apply", "-f", "config/samples/platform_v1alpha1_eventsplatform.yaml")
		mustRun("kubectl", "-n", ns, "patch", "eventsplatform", "demo", "--type=merge",
			"-p", fmt.Sprintf(`{"spec":{"version":%q,"imagePullPolicy":"IfNotPresent"}}`, version))
		mustRun("kubectl", "-n", ns, "wait", "eventsplatform/demo", "--for=condition=Ready", "--timeout=10m")
		out := mustRun("kubectl", "-n", ns, "get", "evp", "demo")
		Expect(out).To(MatchRegexp(`demo\s+True\s+Ready`))
	})

	It("serves the API through the gateway", func() {
		pf := exec.Command("kubectl", "-n", ns, "port-forward", "svc/demo-gateway", "18080:8080")
		pf.Dir = root
		Expect(pf.Start()).To(Succeed())
		DeferCleanup(func() { _ = pf.Process.Kill(); _ = pf.Wait() })

		var body struct {
			Success bool `json:"success"`
		}
		Eventually(func() error {
			resp, err := http.Get("http://127.0.0.1:18080/api/v1/events?limit=5")
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d: %s", resp.StatusCode, b)
			}
			return json.Unmarshal(b, &body)
		}, 2*time.Minute, 2*time.Second).Should(Succeed())
		Expect(body.Success).To(BeTrue())
	})
})

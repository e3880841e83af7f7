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
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1alpha1 "github.com/events-platform/events-platform/api/v1alpha1"
)

// A measurement, not a test: with EVP_SCALE_PLATFORMS=50 it creates that many platforms, brings
// them to the point where every child exists, and prints the heap of this process (the manager's
// caches and the test's client together). Skipped otherwise, to keep `make test` fast.
var _ = Describe("Scale", func() {
	It("reports the manager's memory with many platforms", func() {
		n, _ := strconv.Atoi(os.Getenv("EVP_SCALE_PLATFORMS"))
		if n == 0 {
			Skip("set EVP_SCALE_PLATFORMS=50 to measure the manager's memory with 50 platforms")
		}
		ns := newNamespace()
		start := time.Now()
		platforms := make([]*platformv1alpha1.EventsPlatform, n)
		for i := range platforms {
			platforms[i] = newPlatform(ns, fmt.Sprintf("p%02d", i), "1.0.0")
			Expect(k8sClient.Create(ctx, platforms[i])).To(Succeed())
		}
		for _, p := range platforms {
			markAllDependenciesReady(p)
			finishJob(ns, migrationJobName(p, "1.0.0"), true)
		}
		Eventually(func() int {
			var list appsv1.DeploymentList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			return len(list.Items)
		}, 5*time.Minute, time.Second).Should(Equal(8 * n))
		elapsed := time.Since(start)
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		report := fmt.Sprintf("%d platforms (%d Deployments) in %s: heap in use %.1f MiB, sys %.1f MiB",
			n, 8*n, elapsed.Round(time.Millisecond), float64(m.HeapInuse)/(1<<20), float64(m.Sys)/(1<<20))
		AddReportEntry("manager memory", report)
		GinkgoWriter.Println(report)
	})
})

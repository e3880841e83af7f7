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
	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Operator metrics, served on the manager's metrics endpoint next to controller-runtime's own
// (controller_runtime_reconcile_total, _errors_total, _time_seconds).
var (
	stepDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "events_platform_reconcile_step_duration_seconds",
		Help:    "Time taken by each step of an EventsPlatform reconcile.",
		Buckets: []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
	}, []string{"step"})
	stepErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "events_platform_reconcile_step_errors_total",
		Help: "Errors returned by each step of an EventsPlatform reconcile.",
	}, []string{"step"})
	platformReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "events_platform_ready",
		Help: "Whether an EventsPlatform is Ready (1) or not (0).",
	}, []string{"namespace", "name"})
	platformPhase = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "events_platform_phase",
		Help: "The phase of an EventsPlatform: 1 for its current phase, 0 for the others.",
	}, []string{"namespace", "name", "phase"})
)

func init() {
	metrics.Registry.MustRegister(stepDuration, stepErrors, platformReady, platformPhase)
}

// forgetMetrics drops the series of a deleted platform.
func forgetMetrics(namespace, name string) {
	platformReady.DeleteLabelValues(namespace, name)
	platformPhase.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
}

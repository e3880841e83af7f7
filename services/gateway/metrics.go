package gateway

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	upstreamRequests    *prometheus.CounterVec
	upstreamDuration    *prometheus.HistogramVec
	rateLimitRejections *prometheus.CounterVec
	rateLimitErrors     prometheus.Counter
}

// newMetrics returns the gateway's metrics, registered with reg unless it is nil. The
// process server already counts requests per route; these add what only the gateway
// knows: which service answered, and what the limiter did.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		upstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_upstream_requests_total",
			Help: "Requests the gateway passed to a service, by service and the status the client got (499: client left).",
		}, []string{"upstream", "code"}),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_upstream_request_duration_seconds",
			Help:    "Time from handing a request to a service to its response being written, by service.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"upstream"}),
		rateLimitRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_rate_limit_rejections_total",
			Help: "Requests refused with 429, by the limit that refused them (ip or user).",
		}, []string{"scope"}),
		rateLimitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gateway_rate_limit_errors_total",
			Help: "Requests let through unlimited because Redis could not answer.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.upstreamRequests, m.upstreamDuration, m.rateLimitRejections, m.rateLimitErrors} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("gateway: register metrics: %w", err)
	}
	return m, nil
}

package recommendations

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's own: which model serves and how old it is, how long a page
// takes, how often the cache answers, how often there was nothing to personalise with.
type metrics struct {
	version   prometheus.Gauge
	catalogue prometheus.Gauge
	serve     *prometheus.HistogramVec
	cache     *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, age func() float64) *metrics {
	m := &metrics{
		version: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "recommendations_model_version", Help: "The model version served (0: none yet, popularity by registrations).",
		}),
		catalogue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "recommendations_catalogue_events", Help: "Upcoming public events that may be recommended.",
		}),
		serve: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "recommendations_serve_seconds", Help: "Time to answer a page of recommendations, by algorithm and whether the cache answered.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}, []string{"algorithm", "cached"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recommendations_cache_total", Help: "Pages asked of the cache, by result (hit, miss).",
		}, []string{"result"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recommendations_fallbacks_total", Help: "Pages answered by popularity instead of the algorithm asked, by reason.",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.version, m.catalogue, m.serve, m.cache, m.fallbacks,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "recommendations_model_age_seconds", Help: "Age of the model served (0: none).",
			}, age))
	}
	return m
}

// observe records a page served.
func (m *metrics) observe(alg string, cached bool, start time.Time) {
	m.serve.WithLabelValues(alg, strconv.FormatBool(cached)).Observe(time.Since(start).Seconds())
	result := "miss"
	if cached {
		result = "hit"
	}
	m.cache.WithLabelValues(result).Inc()
}

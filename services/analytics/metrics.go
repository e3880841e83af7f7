package analytics

import "github.com/prometheus/client_golang/prometheus"

// metrics are the service's own: what came in, what was written, how long a write took.
type metrics struct {
	accepted     prometheus.Counter
	rejected     *prometheus.CounterVec
	written      prometheus.Counter
	duplicates   prometheus.Counter
	flushSeconds prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, pending, partitions func() float64) *metrics {
	m := &metrics{
		accepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "analytics_interactions_accepted_total", Help: "Interactions clients sent that were stored (202).",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "analytics_interactions_rejected_total",
			Help: "Interactions refused: invalid (400), too_large (413), expired (a domain event older than the retention).",
		}, []string{"reason"}),
		written: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "analytics_rows_written_total", Help: "Rows given to analytics_events in committed transactions (duplicates included).",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "analytics_rows_duplicate_total", Help: "Rows already stored (a re-sent batch, a redelivered domain event), skipped.",
		}),
		flushSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "analytics_flush_seconds", Help: "Time to write one group of interactions and their rollups.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
	}
	if reg != nil {
		reg.MustRegister(m.accepted, m.rejected, m.written, m.duplicates, m.flushSeconds,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "analytics_consumer_pending",
				Help: "Domain events on JetStream not yet recorded by the analytics consumer (-1: unknown).",
			}, pending),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "analytics_partitions", Help: "Monthly partitions of analytics_events (-1: unknown).",
			}, partitions))
	}
	return m
}

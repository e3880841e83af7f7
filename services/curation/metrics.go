package curation

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's own: how large the board is, how long bringing it up to date
// takes, how many events wait in the queue, how far scoring is behind, the decisions.
type metrics struct {
	rankSeconds prometheus.Histogram
	decisions   *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	m := &metrics{
		rankSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "curation_follow_seconds", Help: "Time to read the changes into the board and rank it again.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "curation_moderation_decisions_total", Help: "Moderation decisions, by decision and by who (checks, moderator).",
		}, []string{"decision", "by"}),
	}
	if reg != nil {
		reg.MustRegister(m.rankSeconds, m.decisions,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "curation_board_events", Help: "Upcoming events that may trend or be featured.",
			}, func() float64 {
				if b := s.board.Load(); b != nil {
					return float64(b.Len())
				}
				return 0
			}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "curation_scoring_pending", Help: "Domain events not yet read by scoring.",
			}, s.lag.Pending))
	}
	return m
}

package retrain

import (
	"context"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/registry"
	"github.com/events-platform/events-platform/test/integration"
)

// Two runs that trained at once against the same live model: the one that stores second
// was not judged against what is live by then, so it is refused, not promoted.
func TestAPromotionRacingAnotherIsRefused(t *testing.T) {
	db, _ := integration.Pool(t)
	ctx := context.Background()
	b := model.NewBuilder()
	b.Add(1, 10, 1, 100)
	snap := model.Train(b.Dataset(), nil, model.Config{Components: []model.Component{model.PopularityModel}})

	first := registry.Version{Status: registry.StatusPromoted, Reason: "good"}
	if err := store(ctx, db, &first, snap, 0, DefaultKeep); err != nil {
		t.Fatal(err)
	}
	second := registry.Version{Status: registry.StatusPromoted, Reason: "also good"}
	if err := store(ctx, db, &second, snap, 0, DefaultKeep); err != nil {
		t.Fatal(err)
	}
	if second.Status != registry.StatusRefused || !strings.Contains(second.Reason, "was promoted while this run trained") {
		t.Errorf("second = %s %q; want refused for racing version %d", second.Status, second.Reason, first.Version)
	}
	live, _, err := registry.Live(ctx, db)
	if err != nil || live.Version != first.Version {
		t.Errorf("live = %d, %v; want %d", live.Version, err, first.Version)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM outbox WHERE subject = $1`, registry.SubjectModelPromoted).Scan(&n); err != nil || n != 1 {
		t.Errorf("announcements = %d, %v; want 1", n, err)
	}
}

package retrain_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/services/recommendations/model"
	"github.com/events-platform/events-platform/services/recommendations/retrain"
)

func TestParseInteractionWeights(t *testing.T) {
	def := retrain.DefaultInteractionWeights()
	with := func(kind string, v float64) retrain.InteractionWeights {
		w := maps.Clone(def)
		w[kind] = v
		return w
	}
	tests := []struct {
		in   string
		want retrain.InteractionWeights
		err  string
	}{
		{"", def, ""},
		{"view=1,click=2,share=2,favorite=3,register=5", def, ""},
		{" register = 8 ", with("register", 8), ""},
		{"view=0.5,", with("view", 0.5), ""},
		{"view=0", with("view", 0), ""},
		{"view", nil, "want kind=weight"},
		{"like=2", nil, `unknown interaction "like"`},
		{"view=x", nil, `weight "x" is not a number`},
		{"view=-1", nil, "not a number from 0"},
		{"view=NaN", nil, "not a number from 0"},
		{"view=1e9", nil, "not a number from 0"},
		{"view=1,view=2", nil, "view given twice"},
		{"view=0,click=0,share=0,favorite=0,register=0", nil, "every weight is 0"},
	}
	for _, tt := range tests {
		got, err := retrain.ParseInteractionWeights(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseInteractionWeights(%q) error = %v, want one saying %q", tt.in, err, tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("ParseInteractionWeights(%q) error = %v", tt.in, err)
		case tt.err == "" && !maps.Equal(got, tt.want):
			t.Errorf("ParseInteractionWeights(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseModels(t *testing.T) {
	tests := []struct {
		in      string
		want    []model.Component
		skipped []string
		err     bool
	}{
		{"", nil, nil, false},
		{"als,content", []model.Component{model.ALSModel, model.ContentModel}, nil, false},
		{" ALS , als,popularity", []model.Component{model.ALSModel, model.PopularityModel}, nil, false},
		{"als,bpr", []model.Component{model.ALSModel}, []string{"bpr"}, false},
		{"bpr", []model.Component{model.PopularityModel}, []string{"bpr"}, false},
		{"svd", nil, nil, true},
	}
	for _, tt := range tests {
		got, skipped, err := retrain.ParseModels(tt.in)
		if (err != nil) != tt.err || !slices.Equal(got, tt.want) || !slices.Equal(skipped, tt.skipped) {
			t.Errorf("ParseModels(%q) = %v, %v, %v; want %v, %v, error %v", tt.in, got, skipped, err, tt.want, tt.skipped, tt.err)
		}
	}
}

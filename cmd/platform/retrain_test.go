package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/events-platform/events-platform/test/integration"
)

func TestRetrainAnEmptyDatabaseStoresNothing(t *testing.T) {
	env := map[string]string{"DATABASE_URL": integration.DatabaseURL(t), "RETRAIN_MODELS": "popularity,als,bpr"}
	out, err := runCmd(t, env, "retrain")
	if err != nil {
		t.Fatalf("retrain: %v", err)
	}
	if !strings.Contains(out, "no interactions to learn from") {
		t.Errorf("output = %q, want it to say there was nothing to learn from", out)
	}
}

func TestRetrainRefusesBadConfiguration(t *testing.T) {
	db := integration.DatabaseURL(t)
	missing := filepath.Join(t.TempDir(), "u.data")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"malformed weights", map[string]string{"DATABASE_URL": db, "RETRAIN_WEIGHTS": "view=1,click=lots"}, nil, "RETRAIN_WEIGHTS"},
		{"unknown interaction", map[string]string{"DATABASE_URL": db, "RETRAIN_WEIGHTS": "purchase=4"}, nil, `unknown interaction "purchase"`},
		{"bad half-life", map[string]string{"DATABASE_URL": db, "RETRAIN_HALF_LIFE": "a month"}, nil, "RETRAIN_HALF_LIFE"},
		{"zero window", map[string]string{"DATABASE_URL": db, "RETRAIN_WINDOW": "0s"}, nil, "RETRAIN_WINDOW"},
		{"unknown model in the environment", map[string]string{"DATABASE_URL": db, "RETRAIN_MODELS": "svd"}, nil, "RETRAIN_MODELS"},
		{"unknown model in the flag", map[string]string{"DATABASE_URL": db}, []string{"--models", "svd"}, "--models"},
		{"no database", map[string]string{}, nil, "DATABASE_URL is required"},
		{"unknown dataset scheme", map[string]string{}, []string{"--dataset", "netflix:x", "--evaluate"}, "want movielens:PATH"},
		{"dataset without a path", map[string]string{}, []string{"--dataset", "movielens:", "--evaluate"}, "path is empty"},
		{"missing dataset file", map[string]string{}, []string{"--dataset", "movielens:" + missing, "--evaluate"}, "no such file"},
		{"dataset without --evaluate", map[string]string{}, []string{"--dataset", "movielens:" + missing}, "needs --evaluate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCmd(t, tt.env, append([]string{"retrain"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %v, want one saying %q", err, tt.says)
			}
		})
	}
}

func TestRetrainEvaluatesAMovieLensFile(t *testing.T) {
	// Two tastes of 30 users, each rating 12 of their taste's 20 movies.
	var b strings.Builder
	for u := range 60 {
		for j := range 12 {
			m := (u%2)*20 + (u*7+j*3)%20
			fmt.Fprintf(&b, "%d\t%d\t4\t%d\n", u+1, m+1, 880000000+u*100+j)
		}
	}
	path := filepath.Join(t.TempDir(), "u.data")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, map[string]string{}, "retrain", "--dataset", "movielens:"+path, "--evaluate", "--seed", "3")
	if err != nil {
		t.Fatalf("retrain --dataset: %v", err)
	}
	for _, want := range []string{"read 720 ratings of 60 users on 40 items", "NDCG@10", "popularity", "itemknn", "als", "blend", "seed 3", "nothing stored"} {
		if !strings.Contains(out, want) {
			t.Errorf("output has no %q:\n%s", want, out)
		}
	}
}

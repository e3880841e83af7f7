package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/telemetry"
	"github.com/events-platform/events-platform/services/recommendations/retrain"
)

func retrainCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var (
		dataset  string
		evaluate bool
		force    bool
		models   string
		seed     uint64
	)
	cmd := &cobra.Command{
		Use:   "retrain",
		Short: "Train the recommendation models, evaluate them and promote a model that passes the quality gate",
		Long: `Train the recommendation models (popularity, item-kNN, ALS, TF-IDF content and their
blend) on what signed-in users did, evaluate each and the blend on a time-based holdout (each
user's last 2 interactions), and store the model trained on everything as a new version in
PostgreSQL. It is promoted, and announced on platform.model.promoted, only if the blend's
NDCG@10 beats popularity's and is at least the live model's on the held-out interactions
the live model never saw; otherwise it is kept as refused, with the reason. A refusal and an
empty database exit 0; a failure exits non-zero. The operator's retraining CronJob runs it.

Environment:
  DATABASE_URL        the platform's database (required without --dataset)
  RETRAIN_MODELS      models to train, comma separated (popularity,itemknn,als,content; bpr is
                      accepted and skipped: this version does not build it); all when unset.
                      Popularity is always trained. --models overrides it.
  RETRAIN_WEIGHTS     weight per interaction (default view=1,click=2,share=2,favorite=3,register=5);
                      kinds left out keep their default, 0 leaves a kind out
  RETRAIN_HALF_LIFE   an interaction's weight halves with every half-life of age (default 720h;
                      0 does not decay)
  RETRAIN_WINDOW      how far back interactions are read (default 4320h, 180 days)
  LOG_LEVEL, LOG_FORMAT  warnings go to stderr; progress, the table and the decision to stdout

Evaluation on a MovieLens-format file (user, item, rating, time per line; u.data, ratings.dat
or ratings.csv), with no database: every rating a positive interaction, 80/20 at random, the
blend tuned on a split of the training part:
  platform retrain --dataset movielens:PATH/u.data --evaluate`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(getenv)
			if err != nil {
				return err
			}
			log, err := telemetry.NewLogger(stderr, cfg.LogLevel, cfg.LogFormat)
			if err != nil {
				return err
			}
			opts := retrain.Options{Seed: seed, Evaluate: evaluate, Force: force, Out: stdout, Log: log}
			list, source := getenv("RETRAIN_MODELS"), "RETRAIN_MODELS"
			if cmd.Flags().Changed("models") {
				list, source = models, "--models"
			}
			var skipped []string
			if opts.Models, skipped, err = retrain.ParseModels(list); err != nil {
				return fmt.Errorf("%s: %w", source, err)
			}
			for _, name := range skipped {
				log.Warn("model not built by this version: skipped", "model", name, "from", source)
			}

			if dataset != "" {
				return evaluateDataset(cmd, dataset, evaluate, opts)
			}
			if opts.Weights, err = retrain.ParseInteractionWeights(getenv("RETRAIN_WEIGHTS")); err != nil {
				return fmt.Errorf("RETRAIN_WEIGHTS: %w", err)
			}
			if opts.HalfLife, err = envDuration(getenv, "RETRAIN_HALF_LIFE", retrain.DefaultHalfLife, true); err != nil {
				return err
			}
			if opts.Window, err = envDuration(getenv, "RETRAIN_WINDOW", retrain.DefaultWindow, false); err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), cfg, "retrain")
			if err != nil {
				return err
			}
			defer db.Close()
			_, err = retrain.Run(cmd.Context(), db, opts)
			return err
		},
	}
	cmd.Flags().StringVar(&dataset, "dataset", "", "evaluate on a dataset file instead of the database: movielens:PATH (needs --evaluate)")
	cmd.Flags().BoolVar(&evaluate, "evaluate", false, "train, evaluate and print what the gate would decide; store nothing")
	cmd.Flags().BoolVar(&force, "force", false, "train even when nothing happened since the live model was trained")
	cmd.Flags().StringVar(&models, "models", "", "models to train, comma separated (default RETRAIN_MODELS, else all)")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed of the sampling, the splits and ALS")
	return cmd
}

// evaluateDataset is retrain --dataset: evaluation on a file, no database.
func evaluateDataset(cmd *cobra.Command, dataset string, evaluate bool, opts retrain.Options) error {
	scheme, path, ok := strings.Cut(dataset, ":")
	switch {
	case !ok || scheme != "movielens":
		return fmt.Errorf("--dataset %q: want movielens:PATH (the only format read)", dataset)
	case path == "":
		return errors.New("--dataset movielens:PATH: the path is empty")
	case !evaluate:
		return errors.New("--dataset needs --evaluate: a dataset file is for evaluation, nothing is stored")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--dataset: %w", err)
	}
	defer f.Close()
	_, err = retrain.EvaluateMovieLens(cmd.Context(), f, opts)
	return err
}

// envDuration reads a positive duration from the variable name, def when unset; zero too
// when zeroOK.
func envDuration(getenv func(string) string, name string, def time.Duration, zeroOK bool) (time.Duration, error) {
	s := getenv(name)
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s: %q is not a duration (e.g. 720h)", name, s)
	case d < 0 || d == 0 && !zeroOK:
		return 0, fmt.Errorf("%s: %s must be positive", name, s)
	}
	return d, nil
}

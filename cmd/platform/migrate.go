package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/postgres"
	"github.com/events-platform/events-platform/migrations"
)

func migrateCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, revert or show database migrations"}
	printStatus := func(r *migrations.Runner) error {
		st, err := r.Status()
		if err != nil {
			return err
		}
		state := "up to date"
		switch {
		case st.Dirty:
			state = "DIRTY: a migration failed part way; repair the database, then `platform migrate force VERSION`"
		case st.Version < st.Latest:
			state = fmt.Sprintf("%d pending", st.Latest-st.Version)
		case st.Version > st.Latest:
			state = "newer than this build"
		}
		fmt.Fprintf(stdout, "schema version %d of %d (%s)\n", st.Version, st.Latest, state)
		return nil
	}
	// withRunner runs fn on the configured database, then prints where the schema stands.
	withRunner := func(fn func(*migrations.Runner) error) error {
		cfg, err := config.Load(getenv)
		if err != nil {
			return err
		}
		if err := cfg.Require("migrate", "DATABASE_URL"); err != nil {
			return err
		}
		r, err := migrations.Open(cfg.DatabaseURL)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := fn(r); err != nil {
			return err
		}
		return printStatus(r)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withRunner((*migrations.Runner).Up)
		},
	}, &cobra.Command{
		Use:   "down [steps]",
		Short: "Revert the last migration, or the given number of them ('all' reverts everything)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			steps := 1
			if len(args) == 1 {
				if args[0] == "all" {
					steps = 0
				} else if n, err := strconv.Atoi(args[0]); err == nil && n > 0 {
					steps = n
				} else {
					return errors.New("steps must be a positive number or 'all'")
				}
			}
			return withRunner(func(r *migrations.Runner) error { return r.Down(steps) })
		},
	}, &cobra.Command{
		Use:   "force VERSION",
		Short: "Mark VERSION as applied and clean, running nothing (after repairing a failed migration by hand)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			v, err := strconv.Atoi(args[0])
			if err != nil || v < 0 || v > int(migrations.Latest()) {
				return fmt.Errorf("VERSION must be a number from 0 to %d", migrations.Latest())
			}
			return withRunner(func(r *migrations.Runner) error { return r.Force(v) })
		},
	}, &cobra.Command{
		Use:   "status",
		Short: "Show the schema version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return withRunner(func(*migrations.Runner) error { return nil })
		},
	})
	return cmd
}

// openMigrated opens the platform's database for target (a command's name, for the
// error when DATABASE_URL is missing) and checks that its schema is this build's.
func openMigrated(ctx context.Context, cfg config.Config, target string) (*pgxpool.Pool, error) {
	if err := cfg.Require(target, "DATABASE_URL"); err != nil {
		return nil, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := postgres.CheckSchema(ctx, db, migrations.Latest()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

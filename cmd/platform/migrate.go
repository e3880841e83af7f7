package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/migrations"
)

func migrateCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Apply, revert or show database migrations"}
	open := func() (*migrations.Runner, error) {
		cfg, err := config.Load(getenv)
		if err != nil {
			return nil, err
		}
		if err := cfg.Require("migrate", "DATABASE_URL"); err != nil {
			return nil, err
		}
		return migrations.Open(cfg.DatabaseURL)
	}
	printStatus := func(r *migrations.Runner) error {
		st, err := r.Status()
		if err != nil {
			return err
		}
		state := "up to date"
		switch {
		case st.Dirty:
			state = "DIRTY: a migration failed part way; fix the database and force the version"
		case st.Version < st.Latest:
			state = fmt.Sprintf("%d pending", st.Latest-st.Version)
		case st.Version > st.Latest:
			state = "newer than this build"
		}
		fmt.Fprintf(stdout, "schema version %d of %d (%s)\n", st.Version, st.Latest, state)
		return nil
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := open()
			if err != nil {
				return err
			}
			defer r.Close()
			if err := r.Up(); err != nil {
				return err
			}
			return printStatus(r)
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
			r, err := open()
			if err != nil {
				return err
			}
			defer r.Close()
			if err := r.Down(steps); err != nil {
				return err
			}
			return printStatus(r)
		},
	}, &cobra.Command{
		Use:   "status",
		Short: "Show the schema version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			r, err := open()
			if err != nil {
				return err
			}
			defer r.Close()
			return printStatus(r)
		},
	})
	return cmd
}

package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/seed"
)

func seedCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var opts seed.Options
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Insert demo users and events (idempotent)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Users < 0 || opts.Events < 0 || opts.Interactions < 0 {
				return fmt.Errorf("--users, --events and --interactions must not be negative")
			}
			cfg, err := config.Load(getenv)
			if err != nil {
				return err
			}
			db, err := openMigrated(cmd.Context(), cfg, "seed")
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			res, err := seed.Run(cmd.Context(), db, opts, stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "seeded %d users and %d events, %d interactions with %d registrations and %d favorites among them (demo password %q) in %s\n",
				res.Users, res.Events, res.Interactions, res.Registrations, res.Favorites, seed.DemoPassword, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().IntVar(&opts.Users, "users", 50, "generated demo attendees besides the named accounts")
	cmd.Flags().IntVar(&opts.Events, "events", 200, "demo events")
	cmd.Flags().IntVar(&opts.Interactions, "interactions", 15000,
		"analytics interactions over the last 90 days, following the users' tastes: views, clicks and shares, and the registrations and favorites (about 7%) some views lead to")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", 1, "random seed, for repeatable data")
	return cmd
}

package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/internal/platform"
)

func serveCommand(getenv func(string) string, stdout, stderr io.Writer) *cobra.Command {
	var opts platform.Options
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run one or more services",
		Long: "Runs the services named by --target in this process, each after the modules it depends on.\n" +
			"`all` runs the gateway and every service with one shared HTTP server.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(getenv)
			if err != nil {
				return err
			}
			return platform.Serve(cmd.Context(), cfg, opts, stdout, stderr)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Targets, "target", []string{"all"}, "services to run, comma-separated: "+strings.Join(platform.Targets(), ", "))
	cmd.Flags().StringVar(&opts.DebugAddr, "debug-addr", "", "serve Go profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060")
	cmd.Flags().BoolVar(&opts.Dev, "dev", false, "local development: create a signing key if missing, embedded NATS without NATS_URL, print URLs")
	return cmd
}

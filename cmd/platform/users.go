package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/events-platform/events-platform/internal/config"
	"github.com/events-platform/events-platform/services/users"
)

func usersCommand(getenv func(string) string, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage accounts"}
	var email, name, password string
	create := &cobra.Command{
		Use:   "create-admin",
		Short: "Create an administrator, or promote an existing account",
		Long: "Creates an administrator account with --email, or makes the existing account with that email an\n" +
			"administrator (its password is kept). Without --password (or ADMIN_PASSWORD) a random one is printed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(getenv)
			if err != nil {
				return err
			}
			if password == "" {
				password = getenv("ADMIN_PASSWORD")
			}
			generated := password == ""
			if generated {
				b := make([]byte, 18)
				_, _ = rand.Read(b)
				password = base64.RawURLEncoding.EncodeToString(b)
			}
			db, err := openMigrated(cmd.Context(), cfg, "users create-admin")
			if err != nil {
				return err
			}
			defer db.Close()
			u, created, err := users.CreateAdmin(cmd.Context(), db, email, name, password)
			if err != nil {
				return err
			}
			switch {
			case !created:
				fmt.Fprintf(stdout, "user %d (%s) is now an administrator; password unchanged\n", u.ID, u.Email)
			case generated:
				fmt.Fprintf(stdout, "created administrator %d (%s) with password %s\n", u.ID, u.Email, password)
			default:
				fmt.Fprintf(stdout, "created administrator %d (%s)\n", u.ID, u.Email)
			}
			return nil
		},
	}
	create.Flags().StringVar(&email, "email", "", "the administrator's email (required)")
	create.Flags().StringVar(&name, "name", "Administrator", "display name for a new account")
	create.Flags().StringVar(&password, "password", "", "password for a new account (default: $ADMIN_PASSWORD or random)")
	_ = create.MarkFlagRequired("email")
	cmd.AddCommand(create)
	return cmd
}

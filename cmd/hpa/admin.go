package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/harmedpatients/hpa/internal/app"
	"github.com/harmedpatients/hpa/internal/identity"
)

// roleFlags collects repeated --role flags.
type roleFlags []string

func (r *roleFlags) String() string     { return strings.Join(*r, ",") }
func (r *roleFlags) Set(v string) error { *r = append(*r, strings.Split(v, ",")...); return nil }

// cmdAdmin creates staff accounts from the command line: the first admin,
// before anyone can sign in to invite others.
func cmdAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: admin needs a subcommand: create", errUsage)
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "the staff member's email (required)")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	passwordStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	var roles roleFlags
	fs.Var(&roles, "role", "a role to grant; repeat or comma-separate (default admin)")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: admin create: %v", errUsage, err)
	}
	if *email == "" {
		return fmt.Errorf("%w: admin create needs --email", errUsage)
	}
	if len(roles) == 0 {
		roles = roleFlags{string(identity.RoleAdmin)}
	}
	parsed, err := identity.ParseRoles(roles)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *name == "" {
		*name, _, _ = strings.Cut(*email, "@")
	}
	password, generated := "", false
	if *passwordStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && err != io.EOF {
			return fmt.Errorf("read password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	} else {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		password, generated = base64.RawURLEncoding.EncodeToString(b), true
	}

	env, err := openEnv(ctx, getenv, io.Discard)
	if err != nil {
		return err
	}
	defer env.close()
	if _, err := env.migrator.Up(ctx); err != nil {
		return err
	}
	ids, err := app.NewIdentity(env.cfg, env.pool)
	if err != nil {
		return err
	}
	m, err := ids.CreateAdmin(ctx, *email, *name, password, parsed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created staff account %s <%s> with roles %v\n", m.ID, m.Email, roles)
	if generated {
		fmt.Fprintf(stdout, "password (shown once; change it after signing in): %s\n", password)
	}
	return nil
}

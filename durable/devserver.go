package durable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
)

// EnvTemporalCLI names the environment variable that points at a temporal CLI
// binary. It is the first place [FindCLI] looks.
const EnvTemporalCLI = "TEMPORAL_CLI"

// ErrNoCLI is returned (wrapped in a [*CLINotFoundError]) when no temporal CLI
// binary can be found. The library never downloads one.
var ErrNoCLI = errors.New("durable: temporal CLI not found")

// CLINotFoundError says where [FindCLI] looked for the temporal CLI.
type CLINotFoundError struct {
	// Tried lists the paths and names that were checked, in order.
	Tried []string
}

// Error implements error.
func (e *CLINotFoundError) Error() string {
	return fmt.Sprintf("durable: temporal CLI not found (tried %v): run `make tools` to build ./bin/temporal, or set %s to its path", e.Tried, EnvTemporalCLI)
}

// Unwrap returns [ErrNoCLI].
func (e *CLINotFoundError) Unwrap() error { return ErrNoCLI }

// FindCLI returns the path of the temporal CLI: $TEMPORAL_CLI, then
// bin/temporal in the working directory or any parent up to the
// repository's root (the directory holding .git), so tests in sub-packages
// and in nested modules find the repository's copy, then temporal on PATH.
func FindCLI() (string, error) {
	var tried []string
	if p := os.Getenv(EnvTemporalCLI); p != "" {
		tried = append(tried, p)
		if isExecutable(p) {
			return p, nil
		}
	}
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			p := filepath.Join(dir, "bin", "temporal")
			tried = append(tried, p)
			if isExecutable(p) {
				return p, nil
			}
			if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
				break // stop at the repository's root
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	tried = append(tried, "temporal (PATH)")
	if p, err := exec.LookPath("temporal"); err == nil {
		return p, nil
	}
	return "", &CLINotFoundError{Tried: tried}
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// DevServerOptions configures [StartDevServer]. The zero value starts an
// in-memory server on a free port, namespace "default", without the Web UI.
type DevServerOptions struct {
	// CLIPath is the temporal CLI binary. Empty means [FindCLI].
	CLIPath string
	// HostPort binds the frontend, e.g. "127.0.0.1:7233". Empty picks a free port.
	HostPort string
	// Namespace is registered on start. Empty means "default".
	Namespace string
	// UI turns the Web UI on; its address is in [DevServer.UIURL].
	UI bool
	// UIPort fixes the Web UI port. Empty picks a free one (with UI set).
	UIPort string
	// DBFile keeps state in this SQLite file so it survives a restart.
	// Empty keeps everything in memory.
	DBFile string
	// SearchAttributes registers extra search attributes, for example
	// temporal.NewSearchAttributeKeyKeyword("ReviewStatus").
	SearchAttributes []temporal.SearchAttributeKey
	// LogLevel of the server: "debug", "info", "warn" (default), "error".
	LogLevel string
	// Output receives the server's own log. Nil discards it.
	Output io.Writer
	// ClientOptions are used for the client [DevServer.Client] returns;
	// HostPort and Namespace are filled in.
	ClientOptions client.Options
}

// DevServer is a running local Temporal dev server (the temporal CLI's
// `server start-dev`). It is safe for concurrent use.
type DevServer struct {
	srv      *testsuite.DevServer
	hostPort string
	ns       string
	uiURL    string
}

// StartDevServer starts the temporal CLI dev server and waits until it answers.
// It never downloads a binary: when none is found the error is a
// [*CLINotFoundError] that says to run `make tools`.
func StartDevServer(ctx context.Context, opts DevServerOptions) (*DevServer, error) {
	cli := opts.CLIPath
	if cli == "" {
		var err error
		if cli, err = FindCLI(); err != nil {
			return nil, err
		}
	}
	ns := opts.Namespace
	if ns == "" {
		ns = "default"
	}
	copts := opts.ClientOptions
	copts.HostPort = opts.HostPort
	copts.Namespace = ns
	if copts.HostPort == "" {
		hp, err := freeHostPort()
		if err != nil {
			return nil, err
		}
		copts.HostPort = hp
	}
	uiPort := opts.UIPort
	if opts.UI && uiPort == "" {
		hp, err := freeHostPort()
		if err != nil {
			return nil, err
		}
		_, uiPort = splitPort(hp)
	}
	out := opts.Output
	if out == nil {
		out = io.Discard
	}
	level := opts.LogLevel
	if level == "" {
		level = "warn"
	}
	updates := make([]temporal.SearchAttributeUpdate, 0, len(opts.SearchAttributes))
	for _, k := range opts.SearchAttributes {
		updates = append(updates, placeholder(k))
	}
	sas := temporal.NewSearchAttributes(updates...)
	srv, err := testsuite.StartDevServer(ctx, testsuite.DevServerOptions{
		ExistingPath:     cli,
		ClientOptions:    &copts,
		DBFilename:       opts.DBFile,
		EnableUI:         opts.UI,
		UIPort:           uiPort,
		LogLevel:         level,
		SearchAttributes: sas,
		Stdout:           out,
		Stderr:           out,
	})
	if err != nil {
		return nil, fmt.Errorf("durable: start dev server with %s: %w", cli, err)
	}
	d := &DevServer{srv: srv, hostPort: srv.FrontendHostPort(), ns: ns}
	if opts.UI {
		host, _ := splitPort(d.hostPort)
		d.uiURL = "http://" + host + ":" + uiPort
	}
	return d, nil
}

// HostPort is the frontend address, for client.Options.HostPort or TEMPORAL_ADDRESS.
func (d *DevServer) HostPort() string { return d.hostPort }

// Namespace is the namespace the server registered.
func (d *DevServer) Namespace() string { return d.ns }

// UIURL is the Web UI address, or "" when the UI is off.
func (d *DevServer) UIURL() string { return d.uiURL }

// WorkflowURL is the Web UI page of one workflow, or "" when the UI is off.
func (d *DevServer) WorkflowURL(workflowID string) string {
	if d.uiURL == "" {
		return ""
	}
	return d.uiURL + "/namespaces/" + d.ns + "/workflows/" + workflowID
}

// Client is a client connected to the server; [DevServer.Stop] closes it.
func (d *DevServer) Client() client.Client { return d.srv.Client() }

// Stop closes the client and stops the server process.
func (d *DevServer) Stop() error { return d.srv.Stop() }

package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
)

// DefaultDialTimeout bounds [Dial] when the context has no deadline.
const DefaultDialTimeout = 10 * time.Second

// ErrUnreachable is matched (with errors.Is) by a [*DialError] whose server
// did not answer.
var ErrUnreachable = errors.New("durable: Temporal server unreachable")

// ErrInvalidConfig is matched (errors.Is) by the error [LoadClientOptions]
// returns when the config file or the TEMPORAL_* variables cannot be used.
var ErrInvalidConfig = errors.New("durable: invalid Temporal client config")

// DialError says which server [Dial] tried and what to do about it.
type DialError struct {
	// Address is the host:port that was dialled.
	Address string
	// Namespace is the namespace the client was built for.
	Namespace string
	// Err is the SDK's error.
	Err error
}

// Error implements error.
func (e *DialError) Error() string {
	return fmt.Sprintf("durable: no Temporal server answered at %s (namespace %q): %v; "+
		"start one with `temporal server start-dev` (or `make demo`), or point TEMPORAL_ADDRESS, "+
		"TEMPORAL_NAMESPACE and TEMPORAL_API_KEY / TEMPORAL_TLS_* at your cluster or Temporal Cloud",
		e.Address, e.Namespace, e.Err)
}

// Unwrap returns [ErrUnreachable] and the SDK's error.
func (e *DialError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

// LoadClientOptions reads client options the way every Temporal tool does
// (contrib envconfig): the TOML profile in $TEMPORAL_CONFIG_FILE (default
// ~/.config/temporalio/temporal.toml, profile $TEMPORAL_PROFILE or "default"),
// then the environment on top: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// TEMPORAL_API_KEY, TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH,
// TEMPORAL_TLS_CLIENT_KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
// TEMPORAL_TLS_SERVER_NAME, TEMPORAL_GRPC_META_*. A missing file is not an
// error; unset values keep the SDK defaults (localhost:7233, "default").
func LoadClientOptions() (client.Options, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return client.Options{}, fmt.Errorf("%w: load TEMPORAL_* variables or %s: %w",
			ErrInvalidConfig, envconfig.DefaultConfigFilePath(), err)
	}
	return opts, nil
}

// Dial connects a client configured by [LoadClientOptions], then by configure
// (for example [Observability.Apply]: durable.Dial(ctx, obs.Apply)) when given, and checks that the server
// answers. When it does not, the error is a [*DialError] matching
// [ErrUnreachable] that names the address and how to fix it.
//
// The same code reaches a dev server, a self-hosted cluster or Temporal Cloud;
// only the environment changes.
func Dial(ctx context.Context, configure ...func(*client.Options) error) (client.Client, error) {
	opts, err := LoadClientOptions()
	if err != nil {
		return nil, err
	}
	for _, f := range configure {
		if err := f(&opts); err != nil {
			return nil, err
		}
	}
	return DialOptions(ctx, opts)
}

// DialOptions connects with opts as given and checks that the server answers,
// with the same errors as [Dial].
func DialOptions(ctx context.Context, opts client.Options) (client.Client, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultDialTimeout)
		defer cancel()
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		ns := opts.Namespace
		if ns == "" {
			ns = client.DefaultNamespace
		}
		return nil, &DialError{Address: addr, Namespace: ns, Err: err}
	}
	return c, nil
}

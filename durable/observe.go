package durable

import (
	"fmt"
	"log/slog"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/log"
)

// Observability installs OpenTelemetry tracing and metrics (contrib
// opentelemetry) and a [log/slog] logger on a client. Workers built from that
// client inherit all three: the tracing interceptor is also a worker
// interceptor, so workflow, activity, signal, query and update spans join the
// caller's trace.
//
// The zero value uses the global OpenTelemetry providers and [slog.Default].
type Observability struct {
	// Tracer creates the spans. Nil means otel.Tracer("durable-llm") from the
	// global provider.
	Tracer trace.Tracer
	// Meter records the SDK's metrics. Nil means the global meter provider.
	Meter metric.Meter
	// Logger receives the SDK's and the workflows' logs. Nil means slog.Default().
	Logger *slog.Logger
	// DisableMetrics keeps the SDK's own (no-op) metrics handler.
	DisableMetrics bool
}

// Apply installs the observability on opts. It fails only when the tracing
// interceptor cannot be built.
func (o Observability) Apply(opts *client.Options) error {
	tracer := o.Tracer
	if tracer == nil {
		tracer = otel.Tracer("durable-llm")
	}
	ti, err := opentelemetry.NewTracingInterceptor(opentelemetry.TracerOptions{Tracer: tracer})
	if err != nil {
		return fmt.Errorf("durable: build OpenTelemetry tracing interceptor: %w", err)
	}
	opts.Interceptors = append(opts.Interceptors, ti)
	if !o.DisableMetrics {
		opts.MetricsHandler = opentelemetry.NewMetricsHandler(opentelemetry.MetricsHandlerOptions{
			Meter:                o.Meter,
			UseMonotonicCounters: true,
			// A broken exporter must not take workers down (the default
			// panics); say so in the log instead.
			OnError: func(err error) { o.logger().Warn("durable: OpenTelemetry metrics error", "error", err) },
		})
	}
	opts.Logger = log.NewStructuredLogger(o.logger())
	return nil
}

func (o Observability) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

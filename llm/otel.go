package llm

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
)

// TracerName is the instrumentation name of the spans this package records
// with the global OpenTelemetry tracer provider.
const TracerName = "github.com/durable-llm/durable-llm/llm"

// Span attributes beyond the OpenTelemetry GenAI conventions.
const (
	// AttrCostUSD is the call's cost in US dollars, set only when known.
	AttrCostUSD = "llm.cost_usd"
	// AttrModelName is the configured model name.
	AttrModelName = "llm.model_name"
	// AttrAttempt is the activity attempt.
	AttrAttempt = "llm.attempt"
	// AttrRequestID is the provider's x-request-id.
	AttrRequestID = "llm.request_id"
)

// startSpan opens the span of one attempt, named "chat <model id>" as the
// GenAI conventions ask.
func startSpan(ctx context.Context, ep *endpoint, req Request, attempt int32) (context.Context, trace.Span) {
	system := "openai"
	if ep.offline {
		system = "offline"
	}
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.system", system),
		attribute.String("gen_ai.provider.name", system),
		attribute.String("gen_ai.request.model", ep.id),
		attribute.String(AttrModelName, ep.name),
		attribute.Int(AttrAttempt, int(attempt)),
		attribute.Bool("llm.stream", req.Stream),
	}
	if req.MaxTokens > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.request.max_tokens", req.MaxTokens))
	}
	if req.Temperature != nil {
		attrs = append(attrs, attribute.Float64("gen_ai.request.temperature", *req.Temperature))
	}
	return otel.Tracer(TracerName).Start(ctx, "chat "+ep.id,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endSpan records the outcome of the attempt and ends the span.
func endSpan(span trace.Span, resp Response, err error) {
	defer span.End()
	if resp.Model != "" {
		span.SetAttributes(
			attribute.String("gen_ai.response.model", resp.Model),
			attribute.Int64("gen_ai.usage.input_tokens", resp.PromptTokens),
			attribute.Int64("gen_ai.usage.output_tokens", resp.CompletionTokens),
			attribute.StringSlice("gen_ai.response.finish_reasons", []string{resp.FinishReason}),
		)
		if resp.RequestID != "" {
			span.SetAttributes(attribute.String(AttrRequestID, resp.RequestID))
		}
		if resp.CostKnown {
			span.SetAttributes(attribute.Float64(AttrCostUSD, resp.CostUSD))
		}
	}
	if err != nil {
		span.SetAttributes(attribute.String("error.type", ErrorType(err)))
		span.SetStatus(codes.Error, err.Error())
	}
}

// AttrRecordWindow is the time, in milliseconds, between a background
// create call returning and the generation's id being recorded: the only
// moment in which a crash can lose a background generation.
const AttrRecordWindow = "llm.background.record_window_ms"

// recordWindow sets [AttrRecordWindow] on the attempt's span.
func recordWindow(ctx context.Context, d time.Duration) {
	trace.SpanFromContext(ctx).SetAttributes(attribute.Float64(AttrRecordWindow, float64(d)/float64(time.Millisecond)))
}

// activityLogger is the activity's logger, or slog's default outside one.
func activityLogger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(slog.Default())
}

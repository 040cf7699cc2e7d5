package llm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/durable-llm/durable-llm/llm/llmtest"
)

// useExporter installs an in-memory exporter as the global tracer provider
// for the test.
func useExporter(t *testing.T) *tracetest.InMemoryExporter {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(t.Context())
	})
	return exp
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func TestSpan(t *testing.T) {
	exp := useExporter(t)
	s := llmtest.NewServer(t)
	s.Enqueue(llmtest.Reply{Model: "gpt-4o-mini-2024-07-18", PromptTokens: 1000, CompletionTokens: 2000}, llmtest.InsufficientQuota())
	a := newActivities(t, serverConfig(s))

	_, err := runOnce(t, a, ask("hi"))
	require.NoError(t, err)
	_, err = runOnce(t, a, ask("hi"))
	require.Error(t, err)

	spans := exp.GetSpans()
	require.Len(t, spans, 2)
	ok, failed := spans[0], spans[1]
	assert.Equal(t, "chat gpt-4o-mini", ok.Name)
	m := attrs(ok)
	assert.Equal(t, "openai", m["gen_ai.system"].AsString())
	assert.Equal(t, "openai", m["gen_ai.provider.name"].AsString())
	assert.Equal(t, "gpt-4o-mini", m["gen_ai.request.model"].AsString())
	assert.Equal(t, "gpt-4o-mini-2024-07-18", m["gen_ai.response.model"].AsString())
	assert.Equal(t, int64(1000), m["gen_ai.usage.input_tokens"].AsInt64())
	assert.Equal(t, int64(2000), m["gen_ai.usage.output_tokens"].AsInt64())
	assert.InDelta(t, (1000*0.15+2000*0.60)/1e6, m[AttrCostUSD].AsFloat64(), 1e-12)
	assert.Equal(t, "main", m[AttrModelName].AsString())
	assert.Equal(t, codes.Unset, ok.Status.Code)

	fm := attrs(failed)
	assert.Equal(t, codes.Error, failed.Status.Code)
	assert.Equal(t, ErrTypeInsufficientQuota, fm["error.type"].AsString())
	_, hasCost := fm[AttrCostUSD]
	assert.False(t, hasCost, "no cost on a failed call")
}

func TestSpanUnknownCost(t *testing.T) {
	exp := useExporter(t)
	s := llmtest.NewServer(t)
	a := newActivities(t, serverConfig(s))
	_, err := runOnce(t, a, Request{Model: "backup", Prompt: "hi"})
	require.NoError(t, err)
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	_, hasCost := attrs(spans[0])[AttrCostUSD]
	assert.False(t, hasCost, "an unknown cost is left out, not reported as zero")
}

package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/idem"
)

// ActivityComplete is the registered name of the completion activity that
// [Complete] and [CompleteJSON] schedule.
const ActivityComplete = "llm.Complete"

// Activities holds the worker side of the package: the configured models,
// their clients and keys. Build it with [NewActivities] and register it with
// [Activities.Register]. It is safe for concurrent use.
type Activities struct {
	cfg          Config
	endpoints    map[string]*endpoint
	prices       map[string]Price
	defaultModel string
	complete     func(context.Context, Request) (Response, error)
	schemas      sync.Map // schema JSON -> *compiledSchema
	// onRecorded, when set (tests and benchmarks), receives the time from
	// a background create call's return to its id being recorded.
	onRecorded func(time.Duration)
}

// endpoint is one resolved model.
type endpoint struct {
	name, id string
	client   *openai.Client // nil for the offline model
	offline  bool
	price    *Price
	secret   string
	// legacyMaxTokens sends max_tokens rather than max_completion_tokens,
	// which some OpenAI-compatible servers do not know.
	legacyMaxTokens bool
	// api is the resolved API of the model's calls.
	api API
}

// NewActivities validates cfg and builds the clients of its models. Every
// client is built with option.WithMaxRetries(0): Temporal is the only retry
// owner. Keys are read from the worker's environment here and never leave
// the worker.
func NewActivities(cfg Config) (*Activities, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxRetryDelay == 0 {
		cfg.MaxRetryDelay = DefaultMaxRetryDelay
	}
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if cfg.StreamIdleTimeout == 0 {
		cfg.StreamIdleTimeout = DefaultStreamIdleTimeout
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxPaidAttempts == 0 {
		cfg.MaxPaidAttempts = DefaultAttempts
	}
	a := &Activities{
		cfg:          cfg,
		endpoints:    make(map[string]*endpoint, len(cfg.Models)),
		prices:       DefaultPrices(),
		defaultModel: cfg.defaultModel(),
	}
	maps.Copy(a.prices, cfg.Prices)
	for name, m := range cfg.Models {
		ep := &endpoint{name: name, id: m.id(name), offline: m.Offline, price: m.Price}
		switch {
		case m.Offline:
		case m.Client != nil:
			ep.client = m.Client
			ep.api = m.API.resolve("", true)
		default:
			ep.secret = m.apiKey()
			base := m.baseURL()
			opts := []option.RequestOption{option.WithBaseURL(base), option.WithMaxRetries(0)}
			if ep.secret != "" {
				opts = append(opts, option.WithAPIKey(ep.secret))
			}
			if cfg.HTTPClient != nil {
				opts = append(opts, option.WithHTTPClient(cfg.HTTPClient))
			}
			c := openai.NewClient(opts...)
			ep.client = &c
			ep.legacyMaxTokens = !isOpenAI(base)
			ep.api = m.API.resolve(base, false)
		}
		a.endpoints[name] = ep
	}
	a.complete = a.run
	if cfg.Store != nil {
		a.complete = idem.Wrap(cfg.Store, a.run, idem.WithKey(a.idempotencyKey), idem.WithLease(cfg.StoreLease))
	}
	return a, nil
}

// Register registers the completion activity under [ActivityComplete].
func (a *Activities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.Complete, activity.RegisterOptions{Name: ActivityComplete})
}

// Complete is the completion activity: it sends req to the model the
// attempt chooses (see [Request.Fallback]), heartbeats while it waits,
// and returns the answer with its usage and cost, or a classified
// [*temporal.ApplicationError] (see the ErrType constants). With
// [Config.Store] set, a paid answer is recorded and returned to later
// attempts of the same activity instead of being bought again.
//
// When its workflow cancels it (a [Stop] or [Redirect], or the workflow's
// cancellation), the activity stops the call (on [APIResponsesBackground]
// it cancels the provider's response, which stops the billing) and
// returns a [*temporal.CanceledError] whose details are the partial
// answer ([Response.Stopped]).
func (a *Activities) Complete(ctx context.Context, req Request) (Response, error) {
	if a.cfg.Store == nil {
		return a.complete(ctx, req)
	}
	ran := new(bool)
	resp, err := a.complete(context.WithValue(ctx, ranKey{}, ran), req)
	if err == nil && !*ran {
		a.republish(ctx, req, resp) // answered from the store
	}
	return resp, err
}

// ranKey carries a *bool that run sets: the attempt called the model
// rather than returning an answer recorded in [Config.Store].
type ranKey struct{}

// run is one attempt.
func (a *Activities) run(ctx context.Context, req Request) (Response, error) {
	if ran, ok := ctx.Value(ranKey{}).(*bool); ok {
		*ran = true
	}
	attempt := int32(1)
	if activity.IsActivity(ctx) {
		attempt = activity.GetInfo(ctx).Attempt
	}
	names := req.models(a.defaultModel)
	for _, n := range names {
		if _, ok := a.endpoints[n]; !ok {
			return Response{}, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("llm: model %q is not configured on this worker (configured: %s): add it to llm.Config.Models or fix Request.Model/Fallback",
					n, strings.Join(a.cfg.modelNames(), ", ")), ErrTypeUnknownModel, nil)
		}
	}
	prev := previousProgress(ctx)
	pending, resuming := pendingGeneration(ctx, prev)
	name, idx := pickModel(names, prev.ModelFailures, pending.ModelName, resuming)
	ep := a.endpoints[name]
	if resuming && (pending.ModelName != name || ep.api != APIResponsesBackground) {
		resuming = false // the configuration changed: the marker names another model
	}
	var schema *compiledSchema
	if len(req.Schema) > 0 {
		var err error
		if schema, err = a.compile(req.Schema); err != nil {
			return Response{}, invalidRequest("llm: Request.Schema is not a usable JSON schema: %v", err)
		}
	}
	if len(req.allMessages()) == 0 {
		return Response{}, invalidRequest("llm: request has no messages: set Request.Messages or Request.Prompt")
	}
	req, refErr := a.resolveRefs(ctx, req)
	if refErr != nil {
		return Response{}, refErr
	}
	at := attemptInfo{
		modelName: name, model: ep.id, maxDelay: a.cfg.MaxRetryDelay, secret: ep.secret,
		switching: idx+1 < len(names) && names[idx+1] != name, now: time.Now(),
	}

	ctx, span := startSpan(ctx, ep, req, attempt)
	start := prev
	start.Model, start.Chunks, start.Chars, start.Tokens = name, 0, 0, 0
	switch {
	case !resuming:
		start.ResponseID, start.Sequence = "", 0
	case prev.ResponseID != pending.ResponseID: // the store knows a newer generation than the heartbeat
		start.ResponseID, start.Sequence = pending.ResponseID, 0
	}
	// The first heartbeat waits for the ticker unless this attempt has
	// something to tell the next one at once: a first attempt that only
	// names its model has not (a lost one leaves its retry on the same
	// model either way), and nor does an attempt whose start is what the
	// attempt before it recorded last. A background generation's attempt
	// heartbeats at once all the same, as it always did: the N=200 crash
	// runs without it re-bought a few generations killed around their
	// start, a cause not isolated (docs/ARCHITECTURE.md).
	announce := ep.api == APIResponsesBackground ||
		start != prev && (prev != Progress{} || start != Progress{Model: name})
	hb := startHeartbeat(ctx, a.cfg.HeartbeatInterval, start, announce)
	ctx, out := a.collect(ctx, req, ep, prev.Model)
	var (
		resp Response
		err  error
	)
	switch {
	case ep.offline:
		resp = offlineAnswer(req, schema)
		publishOffline(ctx, resp.Text, hb)
	case ep.api == APIResponsesBackground:
		var p *pendingGen
		if resuming {
			p = &pending
		}
		resp, err = a.background(ctx, ep, req, at, hb, p)
	case ep.api == APIResponses:
		resp, err = a.respond(ctx, ep, req, at, hb)
	case req.Stream:
		resp, err = a.stream(ctx, ep, req, at, hb)
	default:
		resp, err = a.call(ctx, ep, req, at)
	}
	stopped := err != nil && cancelledByTemporal(ctx)
	if stopped {
		err = a.stopped(req, ep, resp, out.String(), attempt)
	}
	if err != nil {
		err = a.account(ctx, err, hb)
	} else {
		hb.end()
	}
	if err == nil {
		resp.Attempt, resp.ModelName = attempt, name
		if resp.Model == "" {
			resp.Model = ep.id
		}
		if resp.UsageEstimated {
			estimateUsage(req, &resp)
		}
		resp.CostUSD, resp.CostKnown = a.cost(ep, resp)
		if schema != nil {
			resp.JSON, resp.SchemaError = schema.check(resp.Text)
		}
		if resp.FinishReason == "content_filter" {
			err = temporal.NewApplicationErrorWithOptions(
				fmt.Sprintf("llm: model %q: answer cut by the content filter after %d tokens; change the prompt: retrying the same request will not help",
					name, resp.CompletionTokens),
				ErrTypeContentFilter, temporal.ApplicationErrorOptions{NonRetryable: true,
					Details: []any{ErrorDetails{ModelName: name, Model: resp.Model, RequestID: resp.RequestID, Code: "content_filter", Response: &resp}}})
		}
	}
	if err == nil && req.StoreMessages {
		err = a.storeAnswer(ctx, resp)
	}
	if stopped {
		out.close(ctx, nil) // the text so far is the stopped call's answer
	} else {
		out.close(ctx, err)
	}
	endSpan(span, resp, err)
	if err != nil {
		return Response{}, err
	}
	return resp, nil
}

// cost prices resp: the model's own Price, else the table entry for the
// model that answered, else for the configured id. An answer whose usage
// is estimated has an estimated cost, never a known one.
func (a *Activities) cost(ep *endpoint, resp Response) (float64, bool) {
	if ep.offline {
		return 0, true
	}
	p, ok := Price{}, false
	if ep.price != nil {
		p, ok = *ep.price, true
	}
	if !ok {
		p, ok = lookupPrice(a.prices, resp.Model)
	}
	if !ok {
		p, ok = lookupPrice(a.prices, ep.id)
	}
	if !ok {
		return 0, false
	}
	return p.Cost(resp.PromptTokens, resp.CompletionTokens), !resp.UsageEstimated
}

// idempotencyKey is the activity's idem key: stable across the attempts of
// one scheduled activity (idem.DefaultKey) and bound to the request and the
// provider model ids it may use, so a changed request or model
// configuration never returns a stale answer.
func (a *Activities) idempotencyKey(ctx context.Context, req Request) (string, error) {
	base := idem.DefaultKey(ctx)
	if base == "" {
		k, ok := idem.KeyFrom(ctx)
		if !ok {
			return "", fmt.Errorf("llm: Config.Store needs an activity context (or idem.WithKeyContext) to derive a key")
		}
		base = k
	}
	h := sha256.New()
	if err := json.NewEncoder(h).Encode(req); err != nil {
		return "", err
	}
	for _, n := range req.models(a.defaultModel) {
		id := n
		if ep, ok := a.endpoints[n]; ok {
			id = ep.id
		}
		fmt.Fprintf(h, "\x00%s=%s", n, id)
	}
	return base + ":" + hex.EncodeToString(h.Sum(nil)), nil
}

func invalidRequest(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidRequest, nil)
}

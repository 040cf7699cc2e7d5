package llm

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/durable-llm/durable-llm/idem"
)

// Environment variables the worker reads. Workflows never see their values.
const (
	// EnvAPIKey holds the API key of models that set neither APIKey nor
	// APIKeyEnv.
	EnvAPIKey = "OPENAI_API_KEY"
	// EnvBaseURL holds the base URL of models that set no BaseURL, for
	// example http://localhost:11434/v1/ for Ollama.
	EnvBaseURL = "OPENAI_BASE_URL"
	// EnvModel holds the model id [FromEnv] uses.
	EnvModel = "OPENAI_MODEL"
)

// Defaults used by [FromEnv] and [Config].
const (
	// DefaultModelName is the configured name [FromEnv] gives its model.
	DefaultModelName = "default"
	// DefaultModelID is the model id [FromEnv] uses when OPENAI_MODEL is unset.
	DefaultModelID = "gpt-4o-mini"
	// DefaultBaseURL is OpenAI's API.
	DefaultBaseURL = "https://api.openai.com/v1/"
	// DefaultMaxRetryDelay clamps the retry delays providers ask for.
	DefaultMaxRetryDelay = 5 * time.Minute
	// DefaultHeartbeatInterval is how often a call heartbeats while it
	// waits for an answer.
	DefaultHeartbeatInterval = 2 * time.Second
	// DefaultStreamIdleTimeout ends a stream that sends nothing for this long.
	DefaultStreamIdleTimeout = 2 * time.Minute
	// DefaultPollInterval is how often a background generation is polled
	// when it is not streamed.
	DefaultPollInterval = time.Second
)

// Model is one configured model, on the worker. The zero value is a model
// whose id is its configured name, on the endpoint and with the key of the
// worker's environment.
type Model struct {
	// ID is the provider's model id, for example "gpt-4o-mini" or
	// "llama3.2". Empty means the configured name.
	ID string
	// BaseURL is the OpenAI-compatible endpoint, for example
	// http://localhost:11434/v1/ (Ollama), http://localhost:8000/v1/ (vLLM)
	// or http://localhost:1234/v1/ (LM Studio). Empty means OPENAI_BASE_URL
	// from the environment, else [DefaultBaseURL].
	BaseURL string
	// APIKey is the key. Empty means the variable named by APIKeyEnv. A
	// local server usually needs none.
	APIKey string
	// APIKeyEnv names the environment variable holding the key. Empty
	// means OPENAI_API_KEY.
	APIKeyEnv string
	// Client, when set, is used as is (BaseURL and the keys are then
	// ignored). Every call still passes option.WithMaxRetries(0).
	Client *openai.Client
	// Offline answers with the deterministic offline model instead of
	// calling a provider (see [Offline]).
	Offline bool
	// Price, when set, overrides the price table for this model.
	Price *Price
	// API is the HTTP API of the model's calls: [APIChatCompletions] (any
	// OpenAI-compatible server), [APIResponses] or [APIResponsesBackground]
	// (OpenAI's Responses API). On [APIChatCompletions] and [APIResponses] a
	// worker that dies during the call loses the generation, which the
	// provider bills anyway, and the retry buys it again; only
	// [APIResponsesBackground] resumes it, so it is paid once. Empty
	// ([APIAuto]) means background Responses on OpenAI's API and chat
	// completions on any other server.
	API API
}

// Config is the worker-side configuration of [NewActivities]: the models
// workflows may name, and how calls are made. Validate it with
// [Config.Validate]; [NewActivities] does.
type Config struct {
	// Models maps configured names (what [Request.Model] says) to models.
	Models map[string]Model
	// DefaultModel is the name used when a request names none. Empty is
	// allowed only when Models holds exactly one model.
	DefaultModel string
	// Prices overrides and extends [DefaultPrices], keyed by provider
	// model id.
	Prices map[string]Price
	// MaxRetryDelay clamps the retry delay a provider asks for
	// (retry-after and friends). 0 means [DefaultMaxRetryDelay].
	MaxRetryDelay time.Duration
	// HeartbeatInterval is how often a call heartbeats while it waits.
	// Keep it well under the activity's HeartbeatTimeout. 0 means
	// [DefaultHeartbeatInterval].
	HeartbeatInterval time.Duration
	// StreamIdleTimeout ends a streamed attempt that receives no chunk for
	// this long (the first chunk included) as a retryable [ErrTypeTimeout]:
	// the worker keeps heartbeating while it waits, so without it a stalled
	// stream would hold the attempt until its start-to-close timeout. 0
	// means [DefaultStreamIdleTimeout].
	StreamIdleTimeout time.Duration
	// PollInterval is how often a non-streamed background generation
	// ([APIResponsesBackground]) is retrieved until it ends. 0 means
	// [DefaultPollInterval].
	PollInterval time.Duration
	// MaxPaidAttempts bounds the attempts of one completion activity that
	// may have been billed: answers cut or timed out after the provider
	// accepted the request. When that many failed, the last failure is
	// returned as non-retryable. Refusals the provider did not bill (429
	// rate limits and other error statuses) do not count: they are bounded
	// by the retry policy and its ScheduleToCloseTimeout. Resuming a
	// background generation costs nothing and does not count either. 0
	// means [DefaultAttempts].
	MaxPaidAttempts int
	// HTTPClient, when set, is the HTTP client of the models built from
	// BaseURL and APIKey.
	HTTPClient *http.Client
	// Store, when set, makes the completion activity idempotent with
	// [idem.Wrap]: an answer that was paid for but whose activity result
	// never reached Temporal (a crash) is returned from the store on the
	// next attempt instead of being bought again. Use a store every worker
	// of the task queue shares (idem.NewFileStore, idem.NewPostgresStore).
	//
	// The key is idem.DefaultKey (run ID and activity ID, the same for
	// every attempt) plus a SHA-256 of the request and the model ids it
	// may use, so a changed request never gets a stale answer. A crash
	// during a call leaves a claim that expires with the attempt's
	// heartbeats (see StoreLease). On [APIResponsesBackground] the store
	// also holds the id of the generation in flight, recorded as soon as
	// the provider returns it: the next attempt resumes that generation.
	Store idem.Store
	// StoreLease is how long an attempt's claim in Store holds without
	// renewal before another attempt may take it over (idem.WithLease); the
	// attempt renews it while it runs. 0 means idem's default: the
	// activity's HeartbeatTimeout, so the claim of a dead worker expires
	// when Temporal notices the death.
	StoreLease time.Duration
	// Messages is the store of messages sent by reference ([Message.Ref],
	// [Request.StoreMessages]). Every worker must share it. Nil refuses
	// such requests.
	Messages MessageStore
}

// ErrInvalidConfig is the cause of every [*ConfigError].
var ErrInvalidConfig = errors.New("llm: invalid config")

// ConfigError is one problem in a [Config], with what to do about it.
type ConfigError struct {
	// Model is the configured model name concerned, if any.
	Model string
	// Field is the Config or Model field at fault.
	Field string
	// Problem says what is wrong.
	Problem string
	// Fix says what to do.
	Fix string
}

// Error implements error.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("llm: config: ")
	if e.Model != "" {
		fmt.Fprintf(&b, "model %q: ", e.Model)
	}
	fmt.Fprintf(&b, "%s: %s; %s", e.Field, e.Problem, e.Fix)
	return b.String()
}

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

// Validate reports every problem in c as a [*ConfigError] (joined with
// errors.Join), or nil. It reads the worker's environment for keys and
// base URLs but never prints a key.
func (c Config) Validate() error {
	var errs []error
	add := func(model, field, problem, fix string) {
		errs = append(errs, &ConfigError{Model: model, Field: field, Problem: problem, Fix: fix})
	}
	if len(c.Models) == 0 {
		add("", "Models", "no models",
			`add one, e.g. Models: map[string]llm.Model{"default": {ID: "gpt-4o-mini"}}, or start from llm.FromEnv()`)
	}
	for _, name := range c.modelNames() {
		m := c.Models[name]
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\n") {
			add(name, "Models", "model names must be non-empty and without spaces", "rename the model")
		}
		if m.Price != nil && (m.Price.InputPerMillion < 0 || m.Price.OutputPerMillion < 0) {
			add(name, "Price", "negative price", "use prices >= 0 in USD per million tokens")
		}
		if !m.API.valid() {
			add(name, "API", fmt.Sprintf("unknown API %q", string(m.API)),
				"use one of "+apiList()+", or leave it empty to pick by endpoint")
		}
		if m.Offline || m.Client != nil {
			if m.Offline && m.Client != nil {
				add(name, "Offline", "both Offline and Client are set", "keep one of them")
			}
			continue
		}
		base := m.baseURL()
		if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(name, "BaseURL", fmt.Sprintf("%q is not an absolute http(s) URL", base),
				"set Model.BaseURL or OPENAI_BASE_URL to e.g. http://localhost:11434/v1/")
		}
		if m.apiKey() == "" && strings.HasPrefix(base, "https://api.openai.com/") {
			add(name, "APIKey", fmt.Sprintf("no API key for %s", base),
				fmt.Sprintf("set %s in the worker's environment (or Model.APIKey), or use an offline model", m.keyEnv()))
		}
	}
	switch {
	case c.DefaultModel != "":
		if _, ok := c.Models[c.DefaultModel]; !ok && len(c.Models) > 0 {
			add("", "DefaultModel", fmt.Sprintf("%q is not in Models (%s)", c.DefaultModel, strings.Join(c.modelNames(), ", ")),
				"name one of the configured models")
		}
	case len(c.Models) > 1:
		add("", "DefaultModel", "empty while several models are configured", "name the model used when a request names none")
	}
	for id, p := range c.Prices {
		if p.InputPerMillion < 0 || p.OutputPerMillion < 0 {
			add("", "Prices", fmt.Sprintf("negative price for %q", id), "use prices >= 0 in USD per million tokens")
		}
	}
	if c.MaxRetryDelay < 0 || c.HeartbeatInterval < 0 || c.StreamIdleTimeout < 0 || c.StoreLease < 0 || c.PollInterval < 0 {
		add("", "MaxRetryDelay/HeartbeatInterval/StreamIdleTimeout/StoreLease/PollInterval", "negative duration", "use 0 for the default or a positive duration")
	}
	if c.MaxPaidAttempts < 0 {
		add("", "MaxPaidAttempts", "negative", "use 0 for the default or a positive number of attempts")
	}
	return errors.Join(errs...)
}

// defaultModel returns the model used when a request names none.
func (c Config) defaultModel() string {
	if c.DefaultModel != "" {
		return c.DefaultModel
	}
	for name := range c.Models { // exactly one, checked by Validate
		return name
	}
	return ""
}

func (c Config) modelNames() []string {
	names := make([]string, 0, len(c.Models))
	for name := range c.Models {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func (m Model) keyEnv() string {
	if m.APIKeyEnv != "" {
		return m.APIKeyEnv
	}
	return EnvAPIKey
}

func (m Model) apiKey() string {
	if m.APIKey != "" {
		return m.APIKey
	}
	return os.Getenv(m.keyEnv())
}

func (m Model) baseURL() string {
	if m.BaseURL != "" {
		return m.BaseURL
	}
	if env := os.Getenv(EnvBaseURL); env != "" {
		return env
	}
	return DefaultBaseURL
}

func (m Model) id(name string) string {
	if m.Offline && m.ID == "" {
		return OfflineModelID
	}
	if m.ID != "" {
		return m.ID
	}
	return name
}

// FromEnv returns a Config with one model named [DefaultModelName]. When the
// worker's environment sets OPENAI_API_KEY or OPENAI_BASE_URL it is the
// model OPENAI_MODEL names (default [DefaultModelID]) on that endpoint,
// with the API OPENAI_API names (default [APIAuto]: background Responses on
// OpenAI, chat completions elsewhere); otherwise it is the offline model,
// so demos run without a key.
// [Config.Describe] says which.
func FromEnv() Config {
	if os.Getenv(EnvAPIKey) == "" && os.Getenv(EnvBaseURL) == "" {
		return Config{Models: map[string]Model{DefaultModelName: {Offline: true}}, DefaultModel: DefaultModelName}
	}
	id := os.Getenv(EnvModel)
	if id == "" {
		id = DefaultModelID
	}
	return Config{Models: map[string]Model{DefaultModelName: {ID: id, API: API(os.Getenv(EnvAPI))}}, DefaultModel: DefaultModelName}
}

// Describe says, in one line per model, where each configured model's calls
// go. It never prints a key.
func (c Config) Describe() string {
	var b strings.Builder
	for i, name := range c.modelNames() {
		if i > 0 {
			b.WriteByte('\n')
		}
		m := c.Models[name]
		switch {
		case m.Offline:
			fmt.Fprintf(&b, "llm: model %q: offline model (no provider is called; answers are labelled %q): set %s or %s to use a real endpoint",
				name, OfflineLabel, EnvAPIKey, EnvBaseURL)
		case m.Client != nil:
			fmt.Fprintf(&b, "llm: model %q: %s through a prebuilt client; %s", name, m.id(name), m.API.resolve("", true).describe())
		default:
			key := "no API key"
			if m.apiKey() != "" {
				key = "API key from " + m.keyEnv()
				if m.APIKey != "" {
					key = "API key from Config"
				}
			}
			fmt.Fprintf(&b, "llm: model %q: %s at %s (%s); %s", name, m.id(name), m.baseURL(), key, m.API.resolve(m.baseURL(), false).describe())
		}
	}
	return b.String()
}

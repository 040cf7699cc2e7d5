package llm

import (
	"errors"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "")
	client := openai.NewClient()
	cases := []struct {
		name  string
		cfg   Config
		field string
		model string
	}{
		{"no models", Config{}, "Models", ""},
		{"no key for OpenAI", Config{Models: map[string]Model{"m": {ID: "gpt-4o"}}}, "APIKey", "m"},
		{"bad base URL", Config{Models: map[string]Model{"m": {BaseURL: "localhost:11434"}}}, "BaseURL", "m"},
		{"unknown default", Config{Models: map[string]Model{"m": Offline()}, DefaultModel: "x"}, "DefaultModel", ""},
		{"default needed", Config{Models: map[string]Model{"a": Offline(), "b": Offline()}}, "DefaultModel", ""},
		{"offline and client", Config{Models: map[string]Model{"m": {Offline: true, Client: &client}}}, "Offline", "m"},
		{"negative price", Config{Models: map[string]Model{"m": Offline()}, Prices: map[string]Price{"x": {InputPerMillion: -1}}}, "Prices", ""},
		{"negative model price", Config{Models: map[string]Model{"m": {Offline: true, Price: &Price{OutputPerMillion: -1}}}}, "Price", "m"},
		{"space in name", Config{Models: map[string]Model{"my model": Offline()}}, "Models", "my model"},
		{"negative delay", Config{Models: map[string]Model{"m": Offline()}, MaxRetryDelay: -1}, "MaxRetryDelay/HeartbeatInterval/StreamIdleTimeout/StoreLease/PollInterval", ""},
		{"negative paid attempts", Config{Models: map[string]Model{"m": Offline()}, MaxPaidAttempts: -1}, "MaxPaidAttempts", ""},
		{"unknown API", Config{Models: map[string]Model{"m": {BaseURL: "http://localhost:8000/v1/", API: "grpc"}}}, "API", "m"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			require.Error(t, err)
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, tc.model, ce.Model)
			assert.NotEmpty(t, ce.Fix, "the error says what to do")
			_, err = NewActivities(tc.cfg)
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestConfigValid(t *testing.T) {
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "")
	ok := []Config{
		{Models: map[string]Model{"m": Offline()}},
		{Models: map[string]Model{"local": {ID: "llama3.2", BaseURL: "http://localhost:11434/v1/"}}},
		{Models: map[string]Model{"m": {ID: "gpt-4o", APIKey: "k"}}},
		{Models: map[string]Model{"a": Offline(), "b": {APIKey: "k"}}, DefaultModel: "b"},
	}
	for _, cfg := range ok {
		assert.NoError(t, cfg.Validate())
	}
	t.Setenv("MY_KEY", "from-env")
	assert.NoError(t, Config{Models: map[string]Model{"m": {APIKeyEnv: "MY_KEY"}}}.Validate())
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Setenv(EnvAPIKey, "")
	t.Setenv(EnvBaseURL, "")
	err := Config{Models: map[string]Model{"a": {BaseURL: "::"}, "b": {}}}.Validate()
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *ConfigError
		if errors.As(e, &ce) {
			n++
		}
	}
	assert.Equal(t, 3, n, "bad URL of a, missing key of b, missing default: %v", err)
}

func TestFromEnv(t *testing.T) {
	t.Run("offline", func(t *testing.T) {
		t.Setenv(EnvAPIKey, "")
		t.Setenv(EnvBaseURL, "")
		cfg := FromEnv()
		require.NoError(t, cfg.Validate())
		assert.True(t, cfg.Models[DefaultModelName].Offline)
		assert.Contains(t, cfg.Describe(), "offline model")
	})
	t.Run("key", func(t *testing.T) {
		t.Setenv(EnvAPIKey, "sk-secret-value-1234")
		t.Setenv(EnvBaseURL, "")
		t.Setenv(EnvModel, "gpt-4.1-mini")
		cfg := FromEnv()
		require.NoError(t, cfg.Validate())
		assert.Equal(t, "gpt-4.1-mini", cfg.Models[DefaultModelName].ID)
		assert.Equal(t, `llm: model "default": gpt-4.1-mini at https://api.openai.com/v1/ (API key from OPENAI_API_KEY); Responses API, background: a retry resumes the generation`, cfg.Describe())
		assert.NotContains(t, cfg.Describe(), "sk-secret")
	})
	t.Run("local server", func(t *testing.T) {
		t.Setenv(EnvAPIKey, "")
		t.Setenv(EnvBaseURL, "http://localhost:11434/v1/")
		t.Setenv(EnvModel, "")
		cfg := FromEnv()
		require.NoError(t, cfg.Validate())
		assert.Equal(t, `llm: model "default": gpt-4o-mini at http://localhost:11434/v1/ (no API key); chat completions: a crash mid-call buys the generation again`, cfg.Describe())
	})
	t.Run("local server with the Responses API", func(t *testing.T) {
		t.Setenv(EnvAPIKey, "")
		t.Setenv(EnvBaseURL, "http://localhost:8000/v1/")
		t.Setenv(EnvModel, "")
		t.Setenv(EnvAPI, string(APIResponsesBackground))
		cfg := FromEnv()
		require.NoError(t, cfg.Validate())
		assert.Equal(t, APIResponsesBackground, cfg.Models[DefaultModelName].API)
		assert.Contains(t, cfg.Describe(), "background: a retry resumes the generation")
	})
}

func TestAPIResolve(t *testing.T) {
	cases := []struct {
		api      API
		base     string
		prebuilt bool
		want     API
	}{
		{APIAuto, DefaultBaseURL, false, APIResponsesBackground},
		{APIAuto, "http://localhost:11434/v1/", false, APIChatCompletions},
		{APIAuto, "", true, APIChatCompletions},
		{APIChatCompletions, DefaultBaseURL, false, APIChatCompletions},
		{APIResponses, "http://localhost:8000/v1/", false, APIResponses},
		{APIResponsesBackground, "", true, APIResponsesBackground},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.api.resolve(tc.base, tc.prebuilt), "%s at %q (prebuilt %v)", tc.api, tc.base, tc.prebuilt)
	}
}

package llm

import (
	"fmt"
	"strings"
)

// API names the HTTP API a [Model]'s calls use. Its value decides what a
// worker crash in the middle of a call costs (see the package docs, "APIs,
// and what a crash costs").
type API string

// The APIs a model can be configured with.
const (
	// APIAuto picks the API from the endpoint: [APIResponsesBackground] on
	// OpenAI's own API ([DefaultBaseURL]), [APIChatCompletions] on any
	// other server and for a prebuilt [Model.Client].
	APIAuto API = ""
	// APIChatCompletions is POST /chat/completions, which every
	// OpenAI-compatible server speaks (Ollama, vLLM, LM Studio, llama.cpp).
	// A worker that dies during the call loses the generation: the retry
	// asks, and pays, again.
	APIChatCompletions API = "chat"
	// APIResponses is OpenAI's Responses API (POST /responses) in the
	// foreground. As with [APIChatCompletions], a worker that dies during
	// the call loses the generation, which the provider bills anyway, and
	// the retry buys it again.
	APIResponses API = "responses"
	// APIResponsesBackground is the Responses API in background mode: the
	// generation runs at the provider under an id that the activity records
	// in [Config.Store] (and in its heartbeat) as soon as the create call
	// returns; a retry on any worker resumes that generation instead of
	// buying a new one, and a cancelled activity cancels it.
	APIResponsesBackground API = "background"
)

// EnvAPI holds the API of the model [FromEnv] configures: "chat",
// "responses" or "background". Empty means [APIAuto].
const EnvAPI = "OPENAI_API"

// apis lists the accepted values, for errors.
var apis = []API{APIChatCompletions, APIResponses, APIResponsesBackground}

// valid reports whether a is a known API (or auto).
func (a API) valid() bool {
	if a == APIAuto {
		return true
	}
	for _, k := range apis {
		if a == k {
			return true
		}
	}
	return false
}

// resolve returns the API calls to base use; prebuilt says the model has a
// prebuilt client whose endpoint is unknown.
func (a API) resolve(base string, prebuilt bool) API {
	if a != APIAuto {
		return a
	}
	if !prebuilt && isOpenAI(base) {
		return APIResponsesBackground
	}
	return APIChatCompletions
}

// isOpenAI reports whether base is OpenAI's own API.
func isOpenAI(base string) bool { return strings.HasPrefix(base, "https://api.openai.com/") }

// String returns the value as configured ("auto" for [APIAuto]).
func (a API) String() string {
	if a == APIAuto {
		return "auto"
	}
	return string(a)
}

// describe says in a few words what a crash mid-call costs on a.
func (a API) describe() string {
	switch a {
	case APIResponsesBackground:
		return "Responses API, background: a retry resumes the generation"
	case APIResponses:
		return "Responses API: a crash mid-call buys the generation again"
	default:
		return "chat completions: a crash mid-call buys the generation again"
	}
}

func apiList() string {
	s := make([]string, len(apis))
	for i, a := range apis {
		s[i] = fmt.Sprintf("%q", string(a))
	}
	return strings.Join(s, ", ")
}

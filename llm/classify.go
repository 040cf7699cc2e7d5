package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"go.temporal.io/sdk/temporal"
)

// attemptInfo describes the failed attempt, for classification.
type attemptInfo struct {
	modelName, model string
	// maxDelay clamps the provider's retry delay.
	maxDelay time.Duration
	// secret is masked in provider messages.
	secret string
	// switching reports that the next attempt uses another model, so the
	// failed model's retry delay does not apply to it.
	switching bool
	now       time.Time
}

// classify turns the failure of one openai-go call into the error the
// activity returns: a [*temporal.ApplicationError] with one of the ErrType
// constants, retryable or not, with [ErrorDetails] and, when the provider
// asked for one, a NextRetryDelay. res is the HTTP response captured with
// option.WithResponseInto (nil when none arrived); it classifies answers
// whose error body openai-go could not decode.
func classify(err error, res *http.Response, at attemptInfo) error {
	d := ErrorDetails{ModelName: at.modelName, Model: at.model}
	var header http.Header
	var apiErr *openai.Error
	var streamErr *ssestream.StreamError
	switch {
	case errors.As(err, &apiErr):
		d.Status, d.Code, d.Type, d.Message = apiErr.StatusCode, apiErr.Code, apiErr.Type, apiErr.Message
		if apiErr.Response != nil {
			header = apiErr.Response.Header
		}
	case errors.As(err, &streamErr):
		d.Code, d.Type, d.Message = parseErrorBody([]byte(streamErr.Event.Data))
		if d.Message == "" {
			d.Message = streamErr.Message
		}
	}
	if res != nil {
		if d.Status == 0 {
			d.Status = res.StatusCode
		}
		if header == nil {
			header = res.Header
		}
		// openai-go decodes only {"error":{...}} bodies; read the others.
		undecoded := apiErr == nil || (apiErr.Code == "" && apiErr.Message == "" && apiErr.Type == "")
		if undecoded && res.StatusCode >= 400 && res.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
			d.Code, d.Type, d.Message = parseErrorBody(body)
		}
	}
	return classified(err, d, header, streamErr != nil, at)
}

// classified finishes the classification of a failure whose details are
// read: d (status, code, type, message), the answer's header (may be nil)
// and whether the failure arrived inside a stream.
func classified(err error, d ErrorDetails, header http.Header, streamed bool, at attemptInfo) error {
	d.ModelName, d.Model = at.modelName, at.model
	if header != nil {
		d.RequestID = header.Get("x-request-id")
	}
	d.Message = redact(d.Message, at.secret)

	class, retryable := classOf(err, d, streamed)
	// x-should-retry overrides the status, as in OpenAI's own SDKs.
	switch strings.ToLower(strings.TrimSpace(header.Get("x-should-retry"))) {
	case "false":
		retryable = false
	case "true":
		if !retryable {
			class, retryable = ErrTypeRetryAdvised, true
		}
	}
	d.Billed = billed(err, d.Status)
	if class == ErrTypeContextLengthExceeded {
		d.ContextLimit, d.PromptTokens = parseContextLimits(d.Message)
	}
	var next time.Duration
	if retryable {
		if delay, ok := retryDelay(header, d.Type, at.now); ok {
			if at.maxDelay > 0 && delay > at.maxDelay {
				delay = at.maxDelay
			}
			d.RetryAfter = delay
			if !at.switching {
				next = delay
			}
		}
	}
	return temporal.NewApplicationErrorWithOptions(failureMessage(class, retryable, err, d, at.secret), class,
		temporal.ApplicationErrorOptions{NonRetryable: !retryable, Cause: redactedError{err, at.secret}, Details: []any{d}, NextRetryDelay: next})
}

// billed reports whether a failed call may have been billed: the provider
// accepted the request (an answer began, or none came back at all). An
// error status, or a connection that was never made, is not billed.
func billed(err error, status int) bool {
	if status >= 400 {
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return true
}

// redactedError is a cause whose text, which Temporal records in the
// history, has the key masked; errors.As still reaches the original.
type redactedError struct {
	err    error
	secret string
}

func (e redactedError) Error() string { return redact(e.err.Error(), e.secret) }
func (e redactedError) Unwrap() error { return e.err }

// classOf picks the error type from the provider's code first (a 429 may be
// a quota problem), then from the HTTP status, then from the Go error.
func classOf(err error, d ErrorDetails, streamed bool) (class string, retryable bool) {
	if c, ok := classOfCode(d.Code, d.Type, d.Message); ok {
		return c, c == ErrTypeRateLimited
	}
	switch s := d.Status; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return ErrTypeAuth, false
	case s == http.StatusNotFound:
		return ErrTypeModelNotFound, false
	case s == http.StatusRequestTimeout:
		return ErrTypeTimeout, true
	case s == http.StatusConflict:
		return ErrTypeConflict, true
	case s == http.StatusTooManyRequests:
		return ErrTypeRateLimited, true
	case s >= 500:
		return ErrTypeServerError, true
	case s >= 400:
		return ErrTypeBadRequest, false
	case streamed:
		return ErrTypeServerError, true
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return ErrTypeTimeout, true
	case d.Status >= 200:
		return ErrTypeTruncated, true // an answer arrived but could not be read whole
	}
	return ErrTypeNetwork, true
}

// billingCodes are the codes that waiting will not heal.
var billingCodes = map[string]bool{
	"insufficient_quota":          true,
	"billing_hard_limit_reached":  true,
	"billing_not_active":          true,
	"billing_limit_user_error":    true,
	"account_deactivated":         true,
	"access_terminated":           true,
	"quota_exceeded":              true,
	"insufficient_user_quota":     true,
	"organization_quota_exceeded": true,
}

func classOfCode(code, typ, msg string) (string, bool) {
	code = strings.ToLower(code)
	switch {
	case billingCodes[code] || billingCodes[strings.ToLower(typ)] || strings.HasPrefix(code, "billing_"):
		return ErrTypeInsufficientQuota, true
	case code == "context_length_exceeded" || strings.Contains(msg, "maximum context length"):
		return ErrTypeContextLengthExceeded, true
	case code == "content_filter" || code == "content_policy_violation":
		return ErrTypeContentFilter, true
	case code == "model_not_found":
		return ErrTypeModelNotFound, true
	case code == "invalid_api_key" || code == "invalid_authentication" || code == "unsupported_country_region_territory":
		return ErrTypeAuth, true
	case code == "rate_limit_exceeded":
		return ErrTypeRateLimited, true
	case code == "invalid_prompt" || strings.HasPrefix(code, "invalid_image") || code == "image_too_large":
		return ErrTypeBadRequest, true // a background response that failed on its input
	}
	return "", false
}

// parseErrorBody reads code, type and message from an error body of any
// common shape: {"error":{"code":..,"type":..,"message":..}},
// {"error":"text"}, {"message":..}, {"detail":..} or plain text.
func parseErrorBody(body []byte) (code, typ, msg string) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return "", "", truncate(strings.TrimSpace(string(body)), 300)
	}
	obj := top
	if raw, ok := top["error"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return "", "", truncate(s, 300)
		}
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) == nil {
			obj = inner
		}
	}
	code, typ = scalar(obj["code"]), scalar(obj["type"])
	msg = scalar(obj["message"])
	if msg == "" {
		msg = scalar(obj["detail"])
	}
	return code, typ, truncate(msg, 300)
}

// scalar renders a JSON string or number as text.
func scalar(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

var (
	reContextLimit = regexp.MustCompile(`maximum context length is (\d+) tokens`)
	reRequested    = regexp.MustCompile(`(?:resulted in|requested|you have) (\d+) tokens`)
	reKey          = regexp.MustCompile(`sk-[A-Za-z0-9_*\-]{4,}`)
)

// parseContextLimits reads "maximum context length is N tokens ... resulted
// in M tokens" from a context_length_exceeded message; zeros when absent.
func parseContextLimits(msg string) (limit, requested int) {
	if m := reContextLimit.FindStringSubmatch(msg); m != nil {
		limit, _ = strconv.Atoi(m[1])
	}
	if m := reRequested.FindStringSubmatch(msg); m != nil {
		requested, _ = strconv.Atoi(m[1])
	}
	return limit, requested
}

// redact masks the configured key and anything shaped like an OpenAI key.
func redact(s, secret string) string {
	if secret != "" {
		// Any configured key, however short, is masked: a provider may echo it.
		s = strings.ReplaceAll(s, secret, "***")
	}
	return reKey.ReplaceAllString(s, "sk-***")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// failureMessage is the lowercase, actionable text of a classified failure.
func failureMessage(class string, retryable bool, err error, d ErrorDetails, secret string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "llm: model %q", d.ModelName)
	if d.Model != "" && d.Model != d.ModelName {
		fmt.Fprintf(&b, " (%s)", d.Model)
	}
	b.WriteString(": ")
	b.WriteString(what[class])
	switch {
	case d.Status != 0 && d.Code != "":
		fmt.Fprintf(&b, " (%d %s)", d.Status, d.Code)
	case d.Status != 0:
		fmt.Fprintf(&b, " (%d)", d.Status)
	case d.Code != "":
		fmt.Fprintf(&b, " (%s)", d.Code)
	}
	switch {
	case d.Message != "":
		b.WriteString(": " + d.Message)
	case err != nil:
		b.WriteString(": " + redact(err.Error(), secret))
	}
	if class == ErrTypeContextLengthExceeded && d.ContextLimit > 0 {
		fmt.Fprintf(&b, " [limit %d tokens, request %d]", d.ContextLimit, d.PromptTokens)
	}
	b.WriteString("; ")
	switch {
	case retryable && d.RetryAfter > 0:
		fmt.Fprintf(&b, "retryable after %s", d.RetryAfter)
	case retryable:
		b.WriteString("retryable")
	case class == ErrTypeRateLimited || class == ErrTypeServerError || class == ErrTypeConflict ||
		class == ErrTypeTimeout || class == ErrTypeBadRequest:
		b.WriteString("not retried: " + fix[class])
	default:
		b.WriteString(fix[class])
	}
	return b.String()
}

var what = map[string]string{
	ErrTypeRateLimited:           "rate limited",
	ErrTypeServerError:           "provider error",
	ErrTypeTimeout:               "call timed out",
	ErrTypeConflict:              "conflict",
	ErrTypeNetwork:               "network error",
	ErrTypeTruncated:             "answer truncated",
	ErrTypeInsufficientQuota:     "insufficient quota",
	ErrTypeContextLengthExceeded: "context length exceeded",
	ErrTypeContentFilter:         "refused by the content filter",
	ErrTypeAuth:                  "not authorized",
	ErrTypeModelNotFound:         "model not found",
	ErrTypeBadRequest:            "request refused",
	ErrTypeRetryAdvised:          "refused, and the provider asked for a retry (x-should-retry: true)",
}

var fix = map[string]string{
	ErrTypeRateLimited:           "the provider said not to retry (x-should-retry: false)",
	ErrTypeServerError:           "the provider said not to retry (x-should-retry: false)",
	ErrTypeTimeout:               "the provider said not to retry (x-should-retry: false)",
	ErrTypeConflict:              "the provider said not to retry (x-should-retry: false)",
	ErrTypeBadRequest:            "fix the request; retrying it unchanged will not help",
	ErrTypeInsufficientQuota:     "add credit or raise the usage limit of the provider account; retrying will not help",
	ErrTypeContextLengthExceeded: "shorten the messages or lower MaxTokens; retrying the same request will not help",
	ErrTypeContentFilter:         "change the prompt; retrying the same request will not help",
	ErrTypeAuth:                  "check the worker's API key (OPENAI_API_KEY or Model.APIKey) and its access to the model",
	ErrTypeModelNotFound:         "check the model id and base URL in the worker's llm.Config",
}

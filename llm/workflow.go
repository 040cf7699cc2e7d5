package llm

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
)

// Complete runs one chat completion as the [ActivityComplete] activity and
// returns its answer. It runs in workflow code only; the worker must have
// registered [Activities].
//
// The activity uses [ActivityOptions] (override with [WithActivityOptions])
// with req's label as UI summary ("llm: <Summary or Model>"). With
// [WithBudget] the call is refused with [ErrTypeBudgetExceeded] before it
// is scheduled when it could exceed the budget, and its usage is added to
// the budget when its answer arrives. Failures are [*temporal.ActivityError]
// values wrapping the classified [*temporal.ApplicationError]: test them with
// the IsX helpers.
//
// With [WithSteering] the call can be stopped or redirected while it
// generates (see [Steering]): a stopped call returns its partial answer,
// marked [Response.Stopped], and a nil error.
func Complete(ctx workflow.Context, req Request, opts ...CallOption) (Response, error) {
	return complete(ctx, req, newCallConfig(opts))
}

func complete(ctx workflow.Context, req Request, c callConfig) (Response, error) {
	if c.steering != nil {
		return c.steering.complete(ctx, req, c)
	}
	return completeOnce(ctx, req, c)
}

// completeOnce runs one completion activity, charged to the budget.
func completeOnce(ctx workflow.Context, req Request, c callConfig) (Response, error) {
	release := func() {}
	if c.budget != nil {
		if err := c.budget.Check(req); err != nil {
			return Response{}, err
		}
		release = c.budget.reserve(req)
	}
	resp, err := durable.Execute[Response](ctx, ActivityComplete, req, c.activityOptions(req))
	release()
	if c.budget == nil {
		return resp, err
	}
	if err != nil {
		if d, ok := Details(err); ok && d.Response != nil {
			_ = c.budget.Add(ctx, *d.Response) // the answer was paid for; err says why it is unusable
		}
		return resp, err
	}
	if err := c.budget.Add(ctx, resp); err != nil {
		return resp, err
	}
	return resp, nil
}

// CompleteJSON asks for an answer shaped like T and decodes it. The JSON
// schema of T (from github.com/google/jsonschema-go's jsonschema.For) is sent
// as response_format json_schema; the worker validates the answer against
// it. An invalid answer is re-asked with a repair prompt that quotes the
// validation error, up to [DefaultMaxRepairs] times ([WithMaxRepairs]); each
// attempt is its own activity in the history, with "(repair N)" in its
// summary, and is charged to the budget. When every attempt is invalid the
// error is a non-retryable [ErrTypeInvalidOutput] whose [ErrorDetails] holds
// the last answer. It runs in workflow code only.
//
// The returned Response is the last answer (the valid one on success); its
// Total is the usage and cost of every answer the call paid for, repairs
// included, and so is the Total of the Response in the [ErrorDetails] of
// an [ErrTypeInvalidOutput] error.
func CompleteJSON[T any](ctx workflow.Context, req Request, opts ...CallOption) (T, Response, error) {
	var zero T
	c := newCallConfig(opts)
	schema, name, err := schemaOf[T]()
	if err != nil {
		return zero, Response{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("llm: no JSON schema for %s: %v; use a struct of JSON-encodable fields", reflect.TypeFor[T](), err),
			ErrTypeInvalidRequest, nil)
	}
	req.Schema = schema
	if req.SchemaName == "" {
		req.SchemaName = name
	}
	msgs := slices.Clip(req.Messages)
	if req.Prompt != "" {
		msgs = append(msgs, User(req.Prompt))
		req.Prompt = ""
	}
	label := req.label()
	var (
		last    Response
		total   Usage
		problem string
	)
	for i := 0; i <= c.maxRepairs; i++ {
		r := req
		r.Messages = msgs
		if i > 0 {
			r.Summary = fmt.Sprintf("%s (repair %d)", label, i)
		}
		resp, err := complete(ctx, r, c)
		if err != nil {
			if d, ok := Details(err); ok && d.Response != nil {
				total.Add(*d.Response)
			}
			resp.Total = total
			return zero, resp, err
		}
		if len(resp.Steers) > 0 {
			total.addUsage(resp.Total) // the interrupted generations and this answer
		} else {
			total.Add(resp)
		}
		resp.Total = total
		if resp.Stopped {
			return zero, resp, stoppedError(label, resp)
		}
		last, problem = resp, resp.SchemaError
		if problem == "" {
			var out T
			// Decoding recorded JSON is deterministic; workflowcheck flags any
			// reflection-based decoding.
			err := json.Unmarshal(resp.JSON, &out) //workflowcheck:ignore
			if err == nil {
				return out, resp, nil
			}
			problem = "the answer does not decode into the expected type: " + err.Error()
		}
		msgs = append(slices.Clip(msgs), Assistant(resp.Text), User(RepairPrompt(problem)))
	}
	return zero, last, temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s: the answer did not match the schema of %s after %d attempts (last problem: %s); strengthen the prompt, simplify the type or use a stronger model",
			label, reflect.TypeFor[T](), c.maxRepairs+1, problem),
		ErrTypeInvalidOutput, temporal.ApplicationErrorOptions{NonRetryable: true,
			Details: []any{ErrorDetails{ModelName: last.ModelName, Model: last.Model, RequestID: last.RequestID, Message: problem, Response: &last}}})
}

// stoppedError is the error of a [CompleteJSON] call a person stopped.
func stoppedError(label string, resp Response) error {
	last := resp.Steers[len(resp.Steers)-1]
	why := ""
	if last.Reason != "" {
		why = " (" + last.Reason + ")"
	}
	return temporal.NewApplicationErrorWithOptions(
		fmt.Sprintf("%s: stopped by %s%s after %d characters: the partial answer is in the error's details; ask again to get a whole one",
			label, last.By, why, len(resp.Text)),
		ErrTypeStopped, temporal.ApplicationErrorOptions{NonRetryable: true,
			Details: []any{ErrorDetails{ModelName: resp.ModelName, Model: resp.Model, RequestID: resp.RequestID, Response: &resp}}})
}

// RepairPrompt is the user message [CompleteJSON] sends after an invalid
// answer; problem is the validation error.
func RepairPrompt(problem string) string {
	return "Your previous answer was not valid: " + problem +
		"\nAnswer again with only a JSON document that matches the requested schema, without any other text."
}

var reNotSchemaName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// schemaOf returns T's JSON schema and a name for it. It is a pure function
// of T (workflowcheck flags its reflection).
//
//workflowcheck:ignore
func schemaOf[T any]() (json.RawMessage, string, error) {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		return nil, "", err
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, "", err
	}
	name := reNotSchemaName.ReplaceAllString(reflect.TypeFor[T]().Name(), "_")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		name = "output"
	}
	return b, name, nil
}

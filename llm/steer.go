package llm

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// Wire names of steering.
const (
	// UpdateSteer is the update [NewSteering] registers: it stops or
	// redirects the calls in flight made [WithSteering]. Its input is a
	// [SteerRequest], its result a [SteerResult]. Send it with [Stop],
	// [Redirect] or [Steer].
	UpdateSteer = "llm.steer"
	// QuerySteering is the query [NewSteering] registers: it answers with
	// a [SteeringStatus], the calls a steer would reach now.
	QuerySteering = "llm.steering"
)

// Error types of steering, returned by the [UpdateSteer] validator (the
// update is rejected and nothing is written to the history), by [Steer]
// before it sends a bad request, and by [CompleteJSON].
const (
	// ErrTypeInvalidSteer is a [SteerRequest] that cannot be applied: an
	// unknown action, a redirect without a message, no By. Fix the request.
	ErrTypeInvalidSteer = "llm.InvalidSteer"
	// ErrTypeNotSteerable is a steer that found no call to steer: none is
	// in flight, or those in flight are already being stopped or
	// redirected. Send it again while a generation runs (see
	// [QuerySteering]).
	ErrTypeNotSteerable = "llm.NotSteerable"
	// ErrTypeStopped is the error of a [CompleteJSON] call a person
	// stopped: there is no complete answer to decode. Its [ErrorDetails]
	// hold the partial answer in Response.
	ErrTypeStopped = "llm.Stopped"
)

// IsInvalidSteer reports whether err is a steer that cannot be applied
// ([ErrTypeInvalidSteer]).
func IsInvalidSteer(err error) bool { return ErrorType(err) == ErrTypeInvalidSteer }

// IsNotSteerable reports whether err is a steer that found no call in
// flight to steer ([ErrTypeNotSteerable]).
func IsNotSteerable(err error) bool { return ErrorType(err) == ErrTypeNotSteerable }

// IsStopped reports whether err is a [CompleteJSON] call a person stopped
// ([ErrTypeStopped]).
func IsStopped(err error) bool { return ErrorType(err) == ErrTypeStopped }

// SteerAction says what a [SteerRequest] does.
type SteerAction string

// Steer actions.
const (
	// SteerStop stops the generation: the call returns what it had
	// written, marked [Response.Stopped].
	SteerStop SteerAction = "stop"
	// SteerRedirect stops the generation and asks again with what it had
	// written as an assistant message and [SteerRequest.Message] as a user
	// message appended to the conversation.
	SteerRedirect SteerAction = "redirect"
)

// SteerRequest is a person's instruction to the calls in flight: the input
// of [UpdateSteer].
type SteerRequest struct {
	// Action is [SteerStop] or [SteerRedirect].
	Action SteerAction
	// By names who steers (a reviewer's id), for the record.
	By string
	// Reason says why, for the record (optional).
	Reason string `json:",omitempty"`
	// Message is the user message a redirect appends; required for
	// [SteerRedirect], refused for [SteerStop].
	Message string `json:",omitempty"`
	// Call, when set, limits the steer to the calls in flight labelled
	// Call (the label given to [Steering.Run], or a call's
	// [Request.Summary]) and to their redirects ("Call (redirect N)").
	// When none is in flight the steer is refused ([ErrTypeNotSteerable]),
	// so a steer meant for a call that has just ended never reaches the
	// call that follows it. Empty means every steerable call in flight.
	Call string `json:",omitempty"`
}

// reaches reports whether the steer applies to a call labelled label.
func (s SteerRequest) reaches(label string) bool {
	if s.Call == "" || label == s.Call {
		return true
	}
	rest, ok := strings.CutPrefix(label, s.Call)
	return ok && strings.HasPrefix(rest, " (redirect ")
}

// Validate returns an [ErrTypeInvalidSteer] error saying what to fix, or
// nil.
func (s SteerRequest) Validate() error {
	var problems []string
	switch s.Action {
	case SteerStop:
		if s.Message != "" {
			problems = append(problems, "a stop carries no Message (use Reason, or redirect)")
		}
	case SteerRedirect:
		if strings.TrimSpace(s.Message) == "" {
			problems = append(problems, "a redirect needs the Message to send to the model")
		}
	default:
		problems = append(problems, fmt.Sprintf("unknown Action %q: use %q or %q", s.Action, SteerStop, SteerRedirect))
	}
	if strings.TrimSpace(s.By) == "" {
		problems = append(problems, "By must name who steers")
	}
	if len(problems) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError("llm: invalid steer: "+strings.Join(problems, "; "), ErrTypeInvalidSteer, nil)
}

// SteerResult answers [UpdateSteer] once every call it reached has
// settled.
type SteerResult struct {
	// Interrupted counts the generations the steer stopped before their
	// end.
	Interrupted int
	// Finished counts the generations that had ended before the steer
	// reached them: their whole answer is kept (and a redirect still
	// asks again with the message).
	Finished int
	// Usage is what the interrupted generations were billed.
	Usage Usage
}

// Steered is one stop or redirect of a call, in [Response.Steers].
type Steered struct {
	SteerRequest
	// Text is what the interrupted generation had written (the whole
	// answer when Finished).
	Text string
	// Finished reports a generation that had ended before the steer
	// reached it.
	Finished bool `json:",omitempty"`
	// Usage is what that generation was billed (estimated when the
	// provider did not say: see [Usage.EstimatedCalls]).
	Usage Usage
}

// SteerMessages returns the messages the redirects of this call appended
// to its conversation, in order: for each, the interrupted text as an
// assistant message (when there was any) and the person's message as a
// user message. Append them, then this answer, to continue the
// conversation.
func (r Response) SteerMessages() []Message {
	var out []Message
	for _, s := range r.Steers {
		if s.Action == SteerRedirect {
			out = appendRedirect(out, s.Text, s.Message)
		}
	}
	return out
}

func appendRedirect(msgs []Message, text, message string) []Message {
	if text != "" {
		msgs = append(msgs, Assistant(text))
	}
	return append(msgs, User(message))
}

// SteeringStatus answers [QuerySteering].
type SteeringStatus struct {
	// InFlight are the UI summaries of the calls a steer would reach now
	// (empty: a steer is refused with [ErrTypeNotSteerable]).
	InFlight []string
}

package badinput_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/mocks"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
	"github.com/durable-llm/durable-llm/examples/docapproval"
	"github.com/durable-llm/durable-llm/examples/ordersaga"
	"github.com/durable-llm/durable-llm/examples/research"
	"github.com/durable-llm/durable-llm/hitl"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitltest"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
	"github.com/durable-llm/durable-llm/llm/llmtest"
	"github.com/durable-llm/durable-llm/saga"
)

func TestMain(m *testing.M) { durabletest.Main(m) }

// fixture is the state one case works on. Every case gets a fresh one;
// its parts are built on first use.
type fixture struct {
	t   *testing.T
	dir string

	srv  *llmtest.Server
	acts *llm.Activities

	before, after hitl.Status

	idemStore *idem.MemoryStore
	idemCalls atomic.Int32
	charge    func(context.Context, payment) (receipt, error)

	orders     *ordersaga.FileStore
	orderID    string
	stock      map[string]int
	ordersActs *ordersaga.Activities

	temporal *mocks.Client

	payload []*commonpb.Payload
	plain   []byte

	sagaLedger saga.Ledger
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, dir: t.TempDir()}
}

// llm returns the scripted provider and the worker-side activities on it.
func (f *fixture) llm() (*llmtest.Server, *llm.Activities) {
	if f.srv == nil {
		f.srv = llmtest.NewServer(f.t)
		acts, err := llm.NewActivities(llmConfig(f.srv.URL, "test-key"))
		require.NoError(f.t, err)
		f.acts = acts
	}
	return f.srv, f.acts
}

func llmConfig(baseURL, key string) llm.Config {
	return llm.Config{
		Models:        map[string]llm.Model{"m": {ID: "gpt-4o-mini", BaseURL: baseURL, APIKey: key}},
		DefaultModel:  "m",
		MaxRetryDelay: time.Minute,
	}
}

// complete runs one completion activity attempt against the script.
func (f *fixture) complete(req llm.Request, replies ...llmtest.Reply) error {
	srv, acts := f.llm()
	srv.Enqueue(replies...)
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestActivityEnvironment()
	acts.Register(env)
	_, err := env.ExecuteActivity(llm.ActivityComplete, req)
	return err
}

// billedNothing asserts that no completion was paid for.
func billedNothing(t *testing.T, f *fixture) {
	t.Helper()
	srv, _ := f.llm()
	assert.Zero(t, srv.Billed(), "a refused call must not be billed")
}

// sentNothing asserts that the provider never saw a request.
func sentNothing(t *testing.T, f *fixture) {
	t.Helper()
	srv, _ := f.llm()
	assert.Empty(t, srv.Requests(), "the bad request must be refused before it is sent")
}

// retryAfter returns a want that accepts a retryable rate limit whose
// delay is exactly want: 0 for a header that does not parse, the clamp
// (Config.MaxRetryDelay, one minute here) for a huge one.
func retryAfter(want time.Duration) func(error) bool {
	return func(err error) bool {
		d, ok := llm.Details(err)
		return llm.IsRateLimited(err) && llm.IsRetryable(err) && ok && d.RetryAfter == want
	}
}

func rateLimitedAfter(header, value string) func(t *testing.T, f *fixture) error {
	return func(_ *testing.T, f *fixture) error {
		return f.complete(llm.Request{Prompt: "hello"}, llmtest.RateLimited(header, value))
	}
}

// llmIn is the input of llmWorkflow.
type llmIn struct {
	JSON      bool
	Budget    *llm.Budget
	Prompt    string
	MaxTokens int64
}

// plan is the structured answer llmWorkflow asks for.
type plan struct {
	Title string   `json:"title"`
	Steps []string `json:"steps"`
}

// llmWorkflow makes one call through the workflow-side API.
func llmWorkflow(ctx workflow.Context, in llmIn) (llm.Usage, error) {
	var opts []llm.CallOption
	if in.Budget != nil {
		opts = append(opts, llm.WithBudget(in.Budget))
	}
	req := llm.Request{Prompt: in.Prompt, MaxTokens: in.MaxTokens}
	var err error
	if in.JSON {
		_, _, err = llm.CompleteJSON[plan](ctx, req, opts...)
	} else {
		_, err = llm.Complete(ctx, req, opts...)
	}
	var used llm.Usage
	if in.Budget != nil {
		used = in.Budget.Used
	}
	if err != nil {
		return used, temporal.NewNonRetryableApplicationError("llm call failed", llm.ErrorType(err), err, used)
	}
	return used, nil
}

func (f *fixture) runLLMWorkflow(in llmIn, replies ...llmtest.Reply) error {
	srv, acts := f.llm()
	srv.Enqueue(replies...)
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(llmWorkflow)
	acts.Register(env)
	env.ExecuteWorkflow(llmWorkflow, in)
	require.True(f.t, env.IsWorkflowCompleted())
	return env.GetWorkflowError()
}

// payment and receipt are the input and result of the idempotent charge.
type payment struct {
	Order  string `json:"order"`
	Amount int64  `json:"amount"`
}

type receipt struct {
	Order  string `json:"order"`
	Amount int64  `json:"amount"`
	Seq    int32  `json:"seq"`
}

// idem returns a charge wrapped with idem.Wrap on a memory store, keyed by
// order.
func (f *fixture) idem() func(context.Context, payment) (receipt, error) {
	if f.charge == nil {
		f.idemStore = idem.NewMemoryStore()
		f.charge = idem.Wrap(f.idemStore, func(_ context.Context, p payment) (receipt, error) {
			n := f.idemCalls.Add(1)
			return receipt{Order: p.Order, Amount: p.Amount, Seq: n}, nil
		}, idem.WithKey(func(_ context.Context, p payment) (string, error) {
			return "charge:" + p.Order, nil
		}))
	}
	return f.charge
}

// originalChargeKept asserts that the first charge ran once and is what
// the key still answers.
func originalChargeKept(t *testing.T, f *fixture) {
	t.Helper()
	assert.Equal(t, int32(1), f.idemCalls.Load(), "the body ran once")
	got, err := f.idem()(context.Background(), payment{Order: "o-1", Amount: 100})
	require.NoError(t, err)
	assert.Equal(t, receipt{Order: "o-1", Amount: 100, Seq: 1}, got, "the record still holds the first result")
}

// bodyNotRun asserts that the wrapped body never ran.
func bodyNotRun(t *testing.T, f *fixture) {
	t.Helper()
	assert.Zero(t, f.idemCalls.Load(), "the body must not run without a usable key")
}

func isIdemInvalid(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == idem.ErrTypeInvalid && ae.NonRetryable()
}

// step is one review decision, sent as an update, or as a signal when
// signal is set.
type step struct {
	d       hitl.Decision
	signal  string
	payload any
}

func upd(d hitl.Decision) step { return step{d: d} }

func approve(who string, v int) step {
	return upd(hitl.Decision{Reviewer: who, Action: hitl.ActionApprove, Version: v})
}

// ignoredSignal is the audit entry of a signal the review did not apply.
type ignoredSignal struct{ hitl.Entry }

func (e *ignoredSignal) Error() string { return "signal ignored: " + e.Ignored }

func ignoredAs(typ string) func(error) bool {
	return func(err error) bool {
		var ie *ignoredSignal
		return errors.As(err, &ie) && strings.Contains(ie.Ignored, typ)
	}
}

// review runs a two-stage review (editor alice; legal bob and carol,
// quorum 2) in the test environment: pre one per minute, then the status,
// then bad, then the status again. An approved review stays running for an
// hour (its persist step), so late decisions reach it.
func (f *fixture) review(pre []step, bad step) error {
	t := f.t
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	hitltest.Register(env, &hitltest.Activities{})
	env.OnActivity(hitltest.ActivityPersist, mock.Anything, mock.Anything).After(time.Hour).Return(nil)
	send := func(at time.Duration, st step, done func(error)) {
		env.RegisterDelayedCallback(func() {
			if st.signal != "" {
				env.SignalWorkflow(st.signal, st.payload)
				done(nil)
				return
			}
			env.UpdateWorkflow(hitl.UpdateDecide, "", &testsuite.TestUpdateCallback{
				OnAccept:   func() {},
				OnReject:   done,
				OnComplete: func(_ any, err error) { done(err) },
			}, st.d)
		}, at)
	}
	for i, st := range pre {
		send(time.Duration(i+1)*time.Minute, st, func(err error) { require.NoError(t, err, "step %d", i+1) })
	}
	n := time.Duration(len(pre)+1) * time.Minute
	query := func(at time.Duration, into *hitl.Status) {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow(hitl.QueryStatus)
			require.NoError(t, err)
			require.NoError(t, v.Get(into))
		}, at)
	}
	var got error
	sent := false
	query(n-30*time.Second, &f.before)
	send(n, bad, func(err error) { sent, got = true, err })
	query(n+30*time.Second, &f.after)
	env.RegisterDelayedCallback(env.CancelWorkflow, n+time.Minute)
	env.ExecuteWorkflow(hitltest.Workflow, hitltest.Input{Prompt: "launch note", Persist: true, DisableSearchAttributes: true,
		Stages: []hitl.Stage{
			{Name: "editor", Reviewers: []string{"alice"}},
			{Name: "legal", Reviewers: []string{"bob", "carol"}, Quorum: 2},
		}})
	require.True(t, sent, "the bad decision was never sent")
	if bad.signal != "" {
		require.NotEmpty(t, f.after.Audit)
		last := f.after.Audit[len(f.after.Audit)-1]
		if last.Ignored == "" {
			return nil
		}
		return &ignoredSignal{last}
	}
	if de := hitl.AsDecisionError(got); de != nil {
		return de
	}
	return got
}

func hitlRefused(sentinel error) func(error) bool {
	return func(err error) bool { return errors.Is(err, sentinel) && hitl.IsRefusal(err) }
}

// reviewUnchanged asserts that a refused decision left the review as it
// was: same phase, version, stage, approvals and audit trail.
func reviewUnchanged(t *testing.T, f *fixture) {
	t.Helper()
	require.NotZero(t, f.before.Version, "the status before was read")
	assert.Equal(t, f.before.Phase, f.after.Phase)
	assert.Equal(t, f.before.Version, f.after.Version)
	assert.Equal(t, f.before.Stage, f.after.Stage)
	assert.Equal(t, f.before.Approvals, f.after.Approvals)
	assert.Equal(t, f.before.Excerpt, f.after.Excerpt)
	assert.Equal(t, f.before.AuditCount, f.after.AuditCount, "a refusal writes no audit entry")
}

// reviewOnlyAudited asserts that an ignored signal added exactly one audit
// entry and changed nothing else.
func reviewOnlyAudited(t *testing.T, f *fixture) {
	t.Helper()
	assert.Equal(t, f.before.Phase, f.after.Phase)
	assert.Equal(t, f.before.Version, f.after.Version)
	assert.Equal(t, f.before.Approvals, f.after.Approvals)
	assert.Equal(t, f.before.AuditCount+1, f.after.AuditCount, "the ignored signal is audited once")
}

// httpError is an error answer of the reviewer API.
type httpError struct {
	code int
	typ  string
}

func (e *httpError) Error() string { return fmt.Sprintf("http %d %s", e.code, e.typ) }

func httpStatus(code int, typ string) func(error) bool {
	return func(err error) bool {
		var he *httpError
		return errors.As(err, &he) && he.code == code && he.typ == typ
	}
}

// post sends a decision body to the reviewer API backed by a mock client
// that fails the test on any call.
func (f *fixture) post(reviewer, body string, maxBody int64) error {
	f.temporal = &mocks.Client{}
	h, err := hitlhttp.New(f.temporal, hitlhttp.Options{Auth: hitlhttp.HeaderAuth{}, MaxBodyBytes: maxBody})
	require.NoError(f.t, err)
	r := httptest.NewRequest(http.MethodPost, "/api/reviews/doc-1/decisions", strings.NewReader(body))
	if reviewer != "" {
		r.Header.Set(hitlhttp.DefaultHeader, reviewer)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code == http.StatusOK {
		return nil
	}
	var eb hitlhttp.ErrorBody
	require.NoError(f.t, json.Unmarshal(w.Body.Bytes(), &eb), w.Body.String())
	return &httpError{code: w.Code, typ: eb.Error.Type}
}

// temporalUntouched asserts that the handler never called Temporal.
func temporalUntouched(t *testing.T, f *fixture) {
	t.Helper()
	require.NotNil(t, f.temporal)
	assert.Empty(t, f.temporal.Calls, "a bad request must not reach Temporal")
}

// runOrder runs OrderWorkflow in the test environment on a file store.
func (f *fixture) runOrder(o ordersaga.Order) error {
	t := f.t
	if f.orders == nil {
		st, err := ordersaga.NewFileStore(filepath.Join(f.dir, "orders"))
		require.NoError(t, err)
		require.NoError(t, st.EnsureStock(context.Background(), ordersaga.DefaultStock()))
		keys, err := idem.NewFileStore(filepath.Join(f.dir, "idem"))
		require.NoError(t, err)
		f.orders = st
		f.stock = map[string]int{}
		for sku := range ordersaga.DefaultStock() {
			n, err := st.Stock(context.Background(), sku)
			require.NoError(t, err)
			f.stock[sku] = n
		}
		acts, err := ordersaga.NewActivities(st, keys)
		require.NoError(t, err)
		f.charge = nil
		f.ordersActs = acts
	}
	f.orderID = o.ID
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	ordersaga.Register(env, f.ordersActs)
	env.ExecuteWorkflow(ordersaga.OrderWorkflow, o)
	require.True(t, env.IsWorkflowCompleted())
	return env.GetWorkflowError()
}

func goodOrder(id string) ordersaga.Order {
	return ordersaga.Order{ID: id, Items: []ordersaga.Item{{SKU: "widget", Quantity: 2}}, Amount: 4999}
}

func badOrder(mut func(o *ordersaga.Order)) func(t *testing.T, f *fixture) error {
	return func(_ *testing.T, f *fixture) error {
		o := goodOrder("order-bad")
		mut(&o)
		return f.runOrder(o)
	}
}

// orderUntouched asserts that the store holds no reservation, payment or
// shipment for the order and that stock did not move.
func orderUntouched(t *testing.T, f *fixture) {
	t.Helper()
	ctx := context.Background()
	_, err := f.orders.Reservation(ctx, f.orderID)
	require.ErrorIs(t, err, ordersaga.ErrNotFound, "no reservation")
	pays, err := f.orders.Payments(ctx, f.orderID)
	require.NoError(t, err)
	assert.Empty(t, pays, "no charge")
	_, err = f.orders.Shipment(ctx, f.orderID)
	require.ErrorIs(t, err, ordersaga.ErrNotFound, "no shipment")
	for sku, n := range f.stock {
		got, err := f.orders.Stock(ctx, sku)
		require.NoError(t, err)
		assert.Equal(t, n, got, "stock of %s", sku)
	}
}

// noFiles asserts that dir holds no regular file (directories are fine).
func noFiles(t *testing.T, dir string) {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+".locks") {
			files = append(files, p)
		}
		return err
	}))
	assert.Empty(t, files)
}

func (f *fixture) runDoc(in docapproval.Input) error {
	srv, _ := f.llm()
	acts, err := docapproval.NewActivities(docapproval.Config{Dir: filepath.Join(f.dir, "docs"),
		LLM: llmConfig(srv.URL, "test-key")})
	require.NoError(f.t, err)
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	docapproval.Register(env, acts)
	env.ExecuteWorkflow(docapproval.Review, in)
	require.True(f.t, env.IsWorkflowCompleted())
	return env.GetWorkflowError()
}

func docUntouched(t *testing.T, f *fixture) {
	t.Helper()
	billedNothing(t, f)
	noFiles(t, f.dir)
}

func (f *fixture) runResearch(topic string) error {
	_, acts := f.llm()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	research.Register(env, &research.Activities{OutDir: filepath.Join(f.dir, "reports")})
	acts.Register(env)
	env.ExecuteWorkflow(research.ReportWorkflow, research.Input{Topic: topic})
	require.True(f.t, env.IsWorkflowCompleted())
	return env.GetWorkflowError()
}

// sagaWorkflow reserves, then fails to charge; the reservation's undo
// fails too.
func sagaWorkflow(ctx workflow.Context) (err error) {
	s := saga.New(ctx, saga.Options{})
	defer func() { err = saga.WorkflowError(err) }()
	defer s.CompensateOnError(ctx, &err)
	if _, err = saga.Step[string](ctx, s, "reserve", "SagaReserve", "o-1", durable.Quick("reserve"),
		saga.Func(func(workflow.Context) error {
			return temporal.NewNonRetryableApplicationError("warehouse refuses the release", "Warehouse", nil)
		})); err != nil {
		return err
	}
	_, err = saga.Step[string](ctx, s, "charge", "SagaCharge", int64(-5), durable.Quick("charge"), saga.Compensation{})
	return err
}

func (f *fixture) runSaga() error {
	var s testsuite.WorkflowTestSuite
	s.SetLogger(durabletest.Logger())
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(sagaWorkflow)
	env.RegisterActivityWithOptions(func(_ context.Context, id string) (string, error) { return "reserved " + id, nil },
		activityName("SagaReserve"))
	env.RegisterActivityWithOptions(func(_ context.Context, amount int64) (string, error) {
		return "", temporal.NewNonRetryableApplicationError(fmt.Sprintf("amount %d is negative", amount), "NegativeAmount", nil)
	}, activityName("SagaCharge"))
	env.ExecuteWorkflow(sagaWorkflow)
	require.True(f.t, env.IsWorkflowCompleted())
	v, qerr := env.QueryWorkflow(saga.LedgerQuery)
	require.NoError(f.t, qerr)
	require.NoError(f.t, v.Get(&f.sagaLedger))
	return env.GetWorkflowError()
}

// sealed returns a payload encrypted under key id "old".
func (f *fixture) sealed() {
	ring, err := durable.NewKeyRing("old", map[string][]byte{"old": bytes.Repeat([]byte{1}, 32)})
	require.NoError(f.t, err)
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"secret"`)}
	f.payload, err = durable.NewEncryptionCodec(ring).Encode([]*commonpb.Payload{p})
	require.NoError(f.t, err)
	f.plain = bytes.Clone(f.payload[0].Data)
}

func isErr(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func nothing(*testing.T, *fixture) {}

func activityName(name string) activity.RegisterOptions { return activity.RegisterOptions{Name: name} }

func TestCatalogue(t *testing.T) {
	long := strings.Repeat("word ", 40000)
	cases := []struct {
		name, pkg string
		run       func(t *testing.T, env *fixture) error
		want      func(error) bool
		intact    func(t *testing.T, env *fixture)
	}{
		// durable.
		{"key ring entry without id", "durable",
			func(*testing.T, *fixture) error { _, err := durable.ParseKeyRing("no-colon-here"); return err },
			isErr(durable.ErrInvalidKeyRing), nothing},
		{"key ring short key", "durable",
			func(*testing.T, *fixture) error {
				_, err := durable.ParseKeyRing("k1:" + base64.StdEncoding.EncodeToString([]byte("short")))
				return err
			}, isErr(durable.ErrInvalidKeyRing), nothing},
		{"payload sealed under a key not in the ring", "durable",
			func(t *testing.T, f *fixture) error {
				f.sealed()
				ring, err := durable.NewKeyRing("new", map[string][]byte{"new": bytes.Repeat([]byte{2}, 32)})
				require.NoError(t, err)
				_, err = durable.NewEncryptionCodec(ring).Decode(f.payload)
				return err
			}, func(err error) bool { return errors.Is(err, durable.ErrUnknownKey) },
			func(t *testing.T, f *fixture) {
				assert.Equal(t, f.plain, f.payload[0].Data, "the sealed payload is not modified")
			}},
		{"bad client config file", "durable",
			func(t *testing.T, f *fixture) error {
				p := filepath.Join(f.dir, "temporal.toml")
				require.NoError(t, os.WriteFile(p, []byte("[profile.default\naddress = "), 0o600))
				t.Setenv("TEMPORAL_CONFIG_FILE", p)
				_, err := durable.LoadClientOptions()
				return err
			}, isErr(durable.ErrInvalidConfig),
			func(t *testing.T, f *fixture) {
				b, err := os.ReadFile(filepath.Join(f.dir, "temporal.toml"))
				require.NoError(t, err)
				assert.Equal(t, "[profile.default\naddress = ", string(b), "the config file is not rewritten")
			}},
		{"dial unreachable server", "durable",
			func(*testing.T, *fixture) error {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_, err := durable.DialOptions(ctx, client.Options{HostPort: "127.0.0.1:1", Logger: durabletest.Logger()})
				return err
			}, func(err error) bool {
				var de *durable.DialError
				return errors.Is(err, durable.ErrUnreachable) && errors.As(err, &de) && de.Address == "127.0.0.1:1"
			}, nothing},
		{"missing temporal CLI", "durable",
			func(t *testing.T, f *fixture) error {
				t.Chdir(f.dir)
				t.Setenv(durable.EnvTemporalCLI, filepath.Join(f.dir, "no-such-temporal"))
				t.Setenv("PATH", f.dir)
				_, err := durable.FindCLI()
				return err
			}, func(err error) bool {
				var ce *durable.CLINotFoundError
				return errors.Is(err, durable.ErrNoCLI) && errors.As(err, &ce)
			}, nothing},

		// llm: configuration.
		{"config without models", "llm",
			func(*testing.T, *fixture) error {
				_, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{}})
				return err
			},
			func(err error) bool { return errors.Is(err, llm.ErrInvalidConfig) }, nothing},
		{"config default model undefined", "llm",
			func(*testing.T, *fixture) error {
				cfg := llmConfig("http://127.0.0.1:1/v1/", "k")
				cfg.DefaultModel = "ghost"
				_, err := llm.NewActivities(cfg)
				return err
			}, func(err error) bool {
				var ce *llm.ConfigError
				return errors.Is(err, llm.ErrInvalidConfig) && errors.As(err, &ce) && ce.Fix != ""
			}, nothing},
		{"config two models no default", "llm",
			func(*testing.T, *fixture) error {
				_, err := llm.NewActivities(llm.Config{Models: map[string]llm.Model{"a": llm.Offline(), "b": llm.Offline()}})
				return err
			}, func(err error) bool { return errors.Is(err, llm.ErrInvalidConfig) }, nothing},

		// llm: requests.
		{"empty prompt", "llm",
			func(_ *testing.T, f *fixture) error { return f.complete(llm.Request{}) },
			func(err error) bool { return llm.ErrorType(err) == llm.ErrTypeInvalidRequest && !llm.IsRetryable(err) },
			sentNothing},
		{"unknown model", "llm",
			func(_ *testing.T, f *fixture) error { return f.complete(llm.Request{Model: "gpt-9", Prompt: "hi"}) },
			func(err error) bool { return llm.IsUnknownModel(err) && !llm.IsRetryable(err) }, sentNothing},
		{"unknown fallback model", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Fallback: []string{"ghost"}, Prompt: "hi"})
			}, llm.IsUnknownModel, sentNothing},
		{"invalid schema", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi", Schema: json.RawMessage(`{"type": 42}`)})
			}, func(err error) bool { return llm.ErrorType(err) == llm.ErrTypeInvalidRequest }, sentNothing},
		{"oversized prompt", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: long}, llmtest.ContextLengthExceeded())
			}, func(err error) bool { return llm.IsContextLengthExceeded(err) && !llm.IsRetryable(err) }, billedNothing},
		{"provider model not found", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.ModelNotFound())
			},
			llm.IsModelNotFound, billedNothing},
		{"unauthorized 401", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.Unauthorized())
			},
			func(err error) bool { return llm.IsAuth(err) && !llm.IsRetryable(err) }, billedNothing},
		{"forbidden 403", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.Forbidden())
			},
			llm.IsAuth, billedNothing},
		{"insufficient quota 429", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.InsufficientQuota())
			}, func(err error) bool { return llm.IsInsufficientQuota(err) && !llm.IsRetryable(err) }, billedNothing},
		{"content filter", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.ContentFilter())
			},
			llm.IsContentFilter, billedNothing},
		{"undecodable error body", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.Undecodable(400, `{"error":"bad"}`))
			}, func(err error) bool { return llm.IsBadRequest(err) && !llm.IsRetryable(err) }, billedNothing},
		{"x-should-retry false on 500", "llm",
			func(_ *testing.T, f *fixture) error {
				r := llmtest.ServerError(500)
				r.Headers = map[string]string{"x-should-retry": "false"}
				return f.complete(llm.Request{Prompt: "hi"}, r)
			}, func(err error) bool { return llm.ErrorType(err) == llm.ErrTypeServerError && !llm.IsRetryable(err) }, billedNothing},
		{"truncated body", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.complete(llm.Request{Prompt: "hi"}, llmtest.Truncated("half"))
			},
			func(err error) bool { return llm.IsTruncated(err) && llm.IsRetryable(err) },
			func(t *testing.T, f *fixture) {
				srv, _ := f.llm()
				assert.Equal(t, 1, srv.Billed(), "exactly the one truncated answer was paid")
			}},
		{"garbage retry-after word", "llm", rateLimitedAfter("retry-after", "soon-ish"), retryAfter(0), billedNothing},
		{"negative retry-after", "llm", rateLimitedAfter("retry-after", "-30"), retryAfter(0), billedNothing},
		{"huge retry-after", "llm", rateLimitedAfter("retry-after", "99999999999999999999"), retryAfter(time.Minute), billedNothing},
		{"garbage retry-after date", "llm", rateLimitedAfter("retry-after", "Mon, 99 Foo 2026 25:61:61 GMT"), retryAfter(0), billedNothing},
		{"garbage retry-after-ms", "llm", rateLimitedAfter("retry-after-ms", "1e400"), retryAfter(0), billedNothing},
		{"garbage x-ratelimit-reset", "llm", rateLimitedAfter("x-ratelimit-reset-requests", "forever"), retryAfter(0), billedNothing},
		{"NaN retry-after", "llm", rateLimitedAfter("retry-after", "NaN"), retryAfter(0), billedNothing},
		{"retry-after date in the past", "llm", rateLimitedAfter("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"), retryAfter(0), billedNothing},
		{"negative x-ratelimit-reset-tokens", "llm", rateLimitedAfter("x-ratelimit-reset-tokens", "-5s"), retryAfter(0), billedNothing},
		{"retry-after above the clamp", "llm", rateLimitedAfter("retry-after", "3000"), retryAfter(time.Minute), billedNothing},
		{"x-should-retry false on 429", "llm",
			func(_ *testing.T, f *fixture) error {
				r := llmtest.RateLimited("retry-after", "1")
				r.Headers["x-should-retry"] = "false"
				return f.complete(llm.Request{Prompt: "hi"}, r)
			}, func(err error) bool { return llm.IsRateLimited(err) && !llm.IsRetryable(err) }, billedNothing},
		{"malformed JSON after repairs", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.runLLMWorkflow(llmIn{JSON: true, Prompt: "plan it"},
					llmtest.Text("not json"), llmtest.Text(`{"title": 7}`), llmtest.Text("```json\n{oops\n```"))
			}, llm.IsInvalidOutput,
			func(t *testing.T, f *fixture) {
				srv, _ := f.llm()
				assert.Equal(t, 1+llm.DefaultMaxRepairs, srv.Billed(), "one call plus the bounded repairs, no more")
				assert.Zero(t, srv.Pending())
			}},
		{"budget exceeded", "llm",
			func(_ *testing.T, f *fixture) error {
				return f.runLLMWorkflow(llmIn{Prompt: long, MaxTokens: 500, Budget: &llm.Budget{MaxTokens: 1000}})
			}, llm.IsBudgetExceeded,
			func(t *testing.T, f *fixture) {
				sentNothing(t, f)
				billedNothing(t, f)
			}},

		// idem.
		{"key reused with another payload", "idem",
			func(t *testing.T, f *fixture) error {
				_, err := f.idem()(context.Background(), payment{Order: "o-1", Amount: 100})
				require.NoError(t, err)
				_, err = f.idem()(context.Background(), payment{Order: "o-1", Amount: 999})
				return err
			}, idem.IsKeyReused, originalChargeKept},
		{"key claimed by a live attempt", "idem",
			func(t *testing.T, f *fixture) error {
				charge := f.idem()
				fp, err := idem.Fingerprint(payment{Order: "o-2", Amount: 5})
				require.NoError(t, err)
				_, err = f.idemStore.Claim(context.Background(), idem.ClaimRequest{Key: "charge:o-2", Fingerprint: fp,
					Owner: "other-worker", Lease: time.Hour, TTL: time.Hour})
				require.NoError(t, err)
				_, err = charge(context.Background(), payment{Order: "o-2", Amount: 5})
				return err
			}, idem.IsInProgress,
			func(t *testing.T, f *fixture) {
				assert.Zero(t, f.idemCalls.Load(), "the body did not run")
				fp, err := idem.Fingerprint(payment{Order: "o-2", Amount: 5})
				require.NoError(t, err)
				c, err := f.idemStore.Claim(context.Background(), idem.ClaimRequest{Key: "charge:o-2", Fingerprint: fp,
					Owner: "probe", Lease: time.Hour, TTL: time.Hour})
				require.NoError(t, err)
				assert.Equal(t, idem.ClaimBusy, c.Status)
				assert.Equal(t, "other-worker", c.Record.Owner, "the claim still belongs to its owner")
			}},
		{"empty key", "idem",
			func(_ *testing.T, f *fixture) error {
				fn := idem.Wrap(idem.NewMemoryStore(), func(context.Context, string) (string, error) {
					f.idemCalls.Add(1)
					return "ran", nil
				}, idem.WithKey(func(context.Context, string) (string, error) { return "", nil }))
				_, err := fn(context.Background(), "x")
				return err
			}, isIdemInvalid, bodyNotRun},
		{"input not encodable", "idem",
			func(_ *testing.T, f *fixture) error {
				fn := idem.Wrap(idem.NewMemoryStore(), func(context.Context, func()) (string, error) {
					f.idemCalls.Add(1)
					return "ran", nil
				}, idem.WithKey(func(context.Context, func()) (string, error) { return "k", nil }))
				_, err := fn(context.Background(), func() {})
				return err
			}, isIdemInvalid, bodyNotRun},

		// hitl.
		{"unknown reviewer", "hitl",
			func(_ *testing.T, f *fixture) error { return f.review(nil, approve("mallory", 1)) },
			hitlRefused(hitl.ErrUnknownReviewer), reviewUnchanged},
		{"no reviewer", "hitl",
			func(_ *testing.T, f *fixture) error { return f.review(nil, approve("", 1)) },
			hitlRefused(hitl.ErrUnknownReviewer), reviewUnchanged},
		{"unauthorized reviewer for stage", "hitl",
			func(_ *testing.T, f *fixture) error { return f.review(nil, approve("bob", 1)) },
			hitlRefused(hitl.ErrUnauthorized), reviewUnchanged},
		{"future version", "hitl",
			func(_ *testing.T, f *fixture) error { return f.review(nil, approve("alice", 2)) },
			hitlRefused(hitl.ErrStaleVersion), reviewUnchanged},
		{"stale version after edit", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review([]step{upd(hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: "shorter"})},
					approve("alice", 1))
			}, hitlRefused(hitl.ErrStaleVersion), reviewUnchanged},
		{"empty edit", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review(nil, upd(hitl.Decision{Reviewer: "alice", Action: hitl.ActionEdit, Version: 1, Instructions: " \n "}))
			}, hitlRefused(hitl.ErrEmptyEdit), reviewUnchanged},
		{"reject without reason", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review(nil, upd(hitl.Decision{Reviewer: "alice", Action: hitl.ActionReject, Version: 1}))
			}, hitlRefused(hitl.ErrInvalidDecision), reviewUnchanged},
		{"unknown action", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review(nil, upd(hitl.Decision{Reviewer: "alice", Action: "merge", Version: 1}))
			}, hitlRefused(hitl.ErrInvalidDecision), reviewUnchanged},
		{"double approval", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review([]step{approve("alice", 1), approve("bob", 1)}, approve("bob", 1))
			}, hitlRefused(hitl.ErrDuplicate), reviewUnchanged},
		{"decision after close", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review([]step{approve("alice", 1), approve("bob", 1), approve("carol", 1)},
					upd(hitl.Decision{Reviewer: "carol", Action: hitl.ActionReject, Version: 1, Comment: "changed my mind"}))
			}, hitlRefused(hitl.ErrClosed),
			func(t *testing.T, f *fixture) {
				reviewUnchanged(t, f)
				assert.Equal(t, hitl.PhaseApproved, f.after.Phase)
			}},
		{"bad signal payload", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review(nil, step{signal: hitl.SignalReject, payload: 42})
			}, ignoredAs(hitl.ErrTypeInvalidDecision), reviewOnlyAudited},
		{"stale signal", "hitl",
			func(_ *testing.T, f *fixture) error {
				return f.review(nil, step{signal: hitl.SignalApprove, payload: hitl.Decision{Reviewer: "alice", Version: 7}})
			}, ignoredAs(hitl.ErrTypeStaleVersion), reviewOnlyAudited},

		// hitlhttp.
		{"missing reviewer auth", "hitlhttp",
			func(_ *testing.T, f *fixture) error { return f.post("", `{"action":"approve","version":1}`, 0) },
			httpStatus(http.StatusUnauthorized, "Unauthenticated"), temporalUntouched},
		{"malformed JSON body", "hitlhttp",
			func(_ *testing.T, f *fixture) error { return f.post("alice", `{"action":"approve",`, 0) },
			httpStatus(http.StatusBadRequest, "BadRequest"), temporalUntouched},
		{"oversized body", "hitlhttp",
			func(_ *testing.T, f *fixture) error {
				return f.post("alice", `{"action":"edit","version":1,"text":"`+strings.Repeat("x", 4096)+`"}`, 1024)
			}, httpStatus(http.StatusBadRequest, "BadRequest"), temporalUntouched},
		{"body names another reviewer", "hitlhttp",
			func(_ *testing.T, f *fixture) error {
				return f.post("alice", `{"reviewer":"bob","action":"approve","version":1}`, 0)
			}, httpStatus(http.StatusForbidden, hitl.ErrTypeUnauthorized), temporalUntouched},

		// saga.
		{"failing compensation", "saga",
			func(_ *testing.T, f *fixture) error { return f.runSaga() },
			func(err error) bool { return saga.IsIncomplete(err) && !saga.IsCompensated(err) },
			func(t *testing.T, f *fixture) {
				require.Len(t, f.sagaLedger.Entries, 2)
				assert.Equal(t, "reserve", f.sagaLedger.Entries[0].Name)
				assert.Equal(t, "charge", f.sagaLedger.Entries[1].Name)
			}},

		// ordersaga.
		{"negative amount", "ordersaga", badOrder(func(o *ordersaga.Order) { o.Amount = -100 }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"zero amount", "ordersaga", badOrder(func(o *ordersaga.Order) { o.Amount = 0 }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"empty items", "ordersaga", badOrder(func(o *ordersaga.Order) { o.Items = nil }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"zero quantity", "ordersaga", badOrder(func(o *ordersaga.Order) { o.Items[0].Quantity = 0 }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"duplicate SKU", "ordersaga",
			badOrder(func(o *ordersaga.Order) { o.Items = append(o.Items, ordersaga.Item{SKU: "widget", Quantity: 1}) }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"missing ID", "ordersaga", badOrder(func(o *ordersaga.Order) { o.ID = "" }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"oversized ID", "ordersaga", badOrder(func(o *ordersaga.Order) { o.ID = strings.Repeat("x", ordersaga.MaxOrderIDLen+1) }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"unknown failAt step", "ordersaga", badOrder(func(o *ordersaga.Order) { o.FailAt = "teleport" }),
			ordersaga.IsInvalidOrder, orderUntouched},
		{"reused order ID with another amount", "ordersaga",
			func(t *testing.T, f *fixture) error {
				require.NoError(t, f.runOrder(goodOrder("order-reused")))
				o := goodOrder("order-reused")
				o.Amount = 1
				return f.runOrder(o)
			}, ordersaga.IsOrderClosed,
			func(t *testing.T, f *fixture) {
				a, err := f.ordersActs.Audit(context.Background(), "order-reused")
				require.NoError(t, err)
				assert.Equal(t, 1, a.Charges, "charged once")
				assert.Equal(t, int64(4999), a.Charged, "at the first amount")
				assert.Zero(t, a.Refunds, "the first order's charge is not refunded")
				assert.Equal(t, ordersaga.Shipped, a.Reservation)
			}},

		// docapproval.
		{"short prompt", "docapproval",
			func(_ *testing.T, f *fixture) error {
				return f.runDoc(docapproval.Input{DocID: "doc-1", Prompt: "memo"})
			},
			docapproval.IsInvalidInput, docUntouched},
		{"doc id with ../", "docapproval",
			func(_ *testing.T, f *fixture) error {
				return f.runDoc(docapproval.Input{DocID: "../../etc/passwd", Prompt: "draft a launch memo please"})
			}, docapproval.IsInvalidInput, docUntouched},
		{"empty doc id", "docapproval",
			func(_ *testing.T, f *fixture) error {
				return f.runDoc(docapproval.Input{Prompt: "draft a launch memo please"})
			},
			docapproval.IsInvalidInput, docUntouched},
		{"oversized prompt", "docapproval",
			func(_ *testing.T, f *fixture) error {
				return f.runDoc(docapproval.Input{DocID: "doc-1", Prompt: strings.Repeat("x", docapproval.MaxPromptBytes+1)})
			}, docapproval.IsInvalidInput, docUntouched},

		// research.
		{"empty topic", "research",
			func(_ *testing.T, f *fixture) error { return f.runResearch("   ") },
			research.IsInvalidTopic, docUntouched},
		{"too long topic", "research",
			func(_ *testing.T, f *fixture) error {
				return f.runResearch(strings.Repeat("é", research.MaxTopicRunes+1))
			}, research.IsInvalidTopic, docUntouched},
	}
	require.GreaterOrEqual(t, len(cases), 40)
	for _, c := range cases {
		t.Run(c.pkg+"/"+c.name, func(t *testing.T) {
			f := newFixture(t)
			err := c.run(t, f)
			require.Error(t, err, "a bad input must fail")
			t.Logf("error: %v", err)
			assert.True(t, c.want(err), "wrong error: %v", err)
			c.intact(t, f)
		})
	}
}

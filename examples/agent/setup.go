package supportagent

import (
	"fmt"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/worker"

	"github.com/durable-llm/durable-llm/agent"
	"github.com/durable-llm/durable-llm/idem"
	"github.com/durable-llm/durable-llm/llm"
)

// Config is the worker's configuration.
type Config struct {
	// Dir holds the shop (orders, refunds, outbox), the idempotency records
	// and the conversation's messages. Workers on one host share it.
	Dir string
	// LLM configures the model (llm.FromEnv: offline without a key).
	LLM llm.Config
}

// Worker holds what a worker of the support agent registers.
type Worker struct {
	Backend  *Backend
	Tools    *agent.Tools
	LLM      *llm.Activities
	Messages *agent.FileMessages
	// Idem is the idempotency store of the tools' side effects (Dir/idem),
	// which the review pages share to record used review links.
	Idem idem.Store
}

// NewWorker opens the stores in cfg.Dir and builds the tools and the model
// activities; the conversation is kept by reference in Dir/messages.
func NewWorker(cfg Config) (*Worker, error) {
	b, err := OpenBackend(filepath.Join(cfg.Dir, "shop"))
	if err != nil {
		return nil, fmt.Errorf("supportagent: open the shop: %w", err)
	}
	store, err := idem.NewFileStore(filepath.Join(cfg.Dir, "idem"))
	if err != nil {
		return nil, err
	}
	msgs, err := agent.NewFileMessages(filepath.Join(cfg.Dir, "messages"))
	if err != nil {
		return nil, err
	}
	acts := &Activities{Backend: b}
	tools, err := agent.NewTools(agent.ToolsConfig{Store: store, Messages: msgs}, acts.Tools()...)
	if err != nil {
		return nil, err
	}
	lc := cfg.LLM
	lc.Messages = msgs
	la, err := llm.NewActivities(lc)
	if err != nil {
		return nil, err
	}
	return &Worker{Backend: b, Tools: tools, LLM: la, Messages: msgs, Idem: store}, nil
}

// Register registers the workflow, the tools and the model on r.
func (w *Worker) Register(r worker.Registry) {
	RegisterWorkflows(r)
	w.Tools.RegisterActivities(r)
	w.LLM.Register(r)
}

// DefaultDataDir is where the worker keeps its files by default.
func DefaultDataDir() string { return filepath.Join(os.TempDir(), "support-agent") }

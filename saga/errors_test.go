package saga_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/durable-llm/durable-llm/saga"
)

func TestError(t *testing.T) {
	errCause := errors.New("ship refused")
	errRefund := errors.New("card closed")
	errRelease := errors.New("warehouse offline")

	tests := []struct {
		name        string
		err         *saga.Error
		msg         string
		compensated bool
		reaches     []error
	}{
		{
			name:        "compensated",
			err:         &saga.Error{Cause: errCause},
			msg:         "saga: compensated: ship refused",
			compensated: true,
			reaches:     []error{errCause},
		},
		{
			name:    "pivoted",
			err:     &saga.Error{Cause: errCause, Pivoted: true},
			msg:     "saga: failed after its pivot, completed work was kept (finish it forward): ship refused",
			reaches: []error{errCause},
		},
		{
			name: "failed and skipped",
			err: &saga.Error{
				Cause:         errCause,
				Compensations: []saga.CompensationError{{Step: "charge", Err: errRefund}, {Step: "reserve", Err: errRelease}},
				Skipped:       []string{"open"},
			},
			msg: `saga: compensation incomplete, undo by hand what the ledger lists as failed or skipped: ship refused; ` +
				`undo "charge" failed: card closed; undo "reserve" failed: warehouse offline; skipped: open`,
			reaches: []error{errCause, errRefund, errRelease},
		},
		{
			name:        "aborted",
			err:         &saga.Error{Cause: saga.ErrAborted},
			msg:         "saga: compensated: saga: aborted by the workflow",
			compensated: true,
			reaches:     []error{saga.ErrAborted},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error = tt.err
			require.EqualError(t, err, tt.msg)
			assert.Equal(t, tt.compensated, tt.err.Compensated())
			for _, want := range tt.reaches {
				assert.ErrorIs(t, err, want)
			}
			var ce *saga.CompensationError
			if assert.Equal(t, len(tt.err.Compensations) > 0, errors.As(err, &ce)) && ce != nil {
				assert.Equal(t, tt.err.Compensations[0].Step, ce.Step, "errors.As finds the first failed compensation")
				assert.EqualError(t, ce, `saga: undo "charge" failed: card closed`)
			}
		})
	}
}

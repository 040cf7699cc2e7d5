package llmtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		content string
		n       int
		want    []string
	}{
		{"", 0, nil},
		{"", 3, nil},
		{"one", 0, []string{"one"}},
		{"one two  three\nfour", 0, []string{"one ", "two  ", "three\n", "four"}},
		{"trailing ", 0, []string{"trailing "}},
		{"abcdef", 3, []string{"ab", "cd", "ef"}},
		{"abcdefg", 2, []string{"abc", "defg"}},
		{"ab", 5, []string{"a", "b"}},
		{"héllo", 5, []string{"h", "é", "l", "l", "o"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, split(tt.content, tt.n), "split(%q, %d)", tt.content, tt.n)
	}
}

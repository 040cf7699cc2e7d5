package mcptool_test

import (
	"testing"

	"github.com/durable-llm/durable-llm/durable/durabletest"
)

func TestMain(m *testing.M) { durabletest.Main(m) }

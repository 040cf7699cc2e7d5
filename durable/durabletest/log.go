package durabletest

import (
	"log/slog"
	"os"
	"strings"

	"go.temporal.io/sdk/log"
)

// EnvLog names the variable that sets the level of the SDK log in tests:
// debug, info, warn (default) or error.
const EnvLog = "DURABLE_TEST_LOG"

// Logger is the SDK logger that test servers and workers use: warnings and
// errors on stderr, or the level named by DURABLE_TEST_LOG.
func Logger() log.Logger {
	level := slog.LevelWarn
	switch strings.ToLower(os.Getenv(EnvLog)) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "error":
		level = slog.LevelError
	}
	return log.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
}

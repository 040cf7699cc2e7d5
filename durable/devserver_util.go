package durable

import (
	"net"
	"time"

	"go.temporal.io/sdk/temporal"
)

func freeHostPort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String(), nil
}

func splitPort(hostPort string) (host, port string) {
	h, p, err := net.SplitHostPort(hostPort)
	if err != nil {
		return hostPort, ""
	}
	return h, p
}

// placeholder turns a search attribute key into an update with the key's type,
// which is all testsuite needs to register it.
func placeholder(k temporal.SearchAttributeKey) temporal.SearchAttributeUpdate {
	switch key := k.(type) {
	case temporal.SearchAttributeKeyString:
		return key.ValueSet("")
	case temporal.SearchAttributeKeyKeyword:
		return key.ValueSet("")
	case temporal.SearchAttributeKeyBool:
		return key.ValueSet(false)
	case temporal.SearchAttributeKeyInt64:
		return key.ValueSet(0)
	case temporal.SearchAttributeKeyFloat64:
		return key.ValueSet(0)
	case temporal.SearchAttributeKeyTime:
		return key.ValueSet(time.Time{})
	case temporal.SearchAttributeKeyKeywordList:
		return key.ValueSet(nil)
	default:
		return temporal.NewSearchAttributeKeyKeyword(k.GetName()).ValueSet("")
	}
}

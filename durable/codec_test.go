package durable_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/durable-llm/durable-llm/durable"
	"github.com/durable-llm/durable-llm/durable/durabletest"
)

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

func dataConverter(ring *durable.KeyRing) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), durable.Codecs(ring)...)
}

func TestEncryptionRoundTripAndRotation(t *testing.T) {
	k1, k2 := key(t), key(t)
	old, err := durable.NewKeyRing("k1", map[string][]byte{"k1": k1})
	require.NoError(t, err)
	secret := strings.Repeat("the secret prompt ", 50)

	p, err := dataConverter(old).ToPayload(secret)
	require.NoError(t, err)
	assert.NotContains(t, string(p.GetData()), "secret")
	assert.Equal(t, "k1", string(p.GetMetadata()[durable.MetadataKeyID]))

	rotated, err := durable.NewKeyRing("k2", map[string][]byte{"k1": k1, "k2": k2})
	require.NoError(t, err)
	var got string
	require.NoError(t, dataConverter(rotated).FromPayload(p, &got), "old payloads stay readable after rotation")
	assert.Equal(t, secret, got)

	p2, err := dataConverter(rotated).ToPayload(secret)
	require.NoError(t, err)
	assert.Equal(t, "k2", string(p2.GetMetadata()[durable.MetadataKeyID]), "new payloads use the current key")

	onlyNew, err := durable.NewKeyRing("k2", map[string][]byte{"k2": k2})
	require.NoError(t, err)
	err = dataConverter(onlyNew).FromPayload(p, &got)
	require.ErrorIs(t, err, durable.ErrUnknownKey, "a dropped key is named, not a garbled payload")
}

func TestEncryptionDetectsTampering(t *testing.T) {
	ring, err := durable.NewKeyRing("k", map[string][]byte{"k": key(t)})
	require.NoError(t, err)
	codec := durable.NewEncryptionCodec(ring)
	in := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`"x"`)}
	enc, err := codec.Encode([]*commonpb.Payload{in})
	require.NoError(t, err)
	enc[0].Data[len(enc[0].Data)-1] ^= 1
	_, err = codec.Decode(enc)
	require.Error(t, err)

	plain, err := codec.Decode([]*commonpb.Payload{in})
	require.NoError(t, err, "payloads it did not seal pass through")
	assert.True(t, proto.Equal(in, plain[0]))
}

func TestKeyRingValidation(t *testing.T) {
	_, err := durable.NewKeyRing("a", map[string][]byte{"a": []byte("short")})
	require.ErrorContains(t, err, "needs 32")
	_, err = durable.NewKeyRing("missing", map[string][]byte{"a": key(t)})
	require.ErrorContains(t, err, "not among the keys")
	_, err = durable.ParseKeyRing("nocolon")
	require.ErrorContains(t, err, "not id:base64key")
	_, err = durable.ParseKeyRing("a:!!!")
	require.ErrorContains(t, err, "not base64")

	k := base64.StdEncoding.EncodeToString(key(t))
	r, err := durable.ParseKeyRing("new:" + k + ",old:" + base64.StdEncoding.EncodeToString(key(t)))
	require.NoError(t, err)
	assert.Equal(t, "new", r.Current())

	t.Setenv(durable.EnvCodecKeys, "")
	r, err = durable.KeyRingFromEnv()
	require.NoError(t, err)
	assert.Nil(t, r)
}

func TestCodecServer(t *testing.T) {
	ring, err := durable.NewKeyRing("k", map[string][]byte{"k": key(t)})
	require.NoError(t, err)
	p, err := dataConverter(ring).ToPayload("hello reviewer")
	require.NoError(t, err)
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}})
	require.NoError(t, err)

	srv := httptest.NewServer(durable.CodecServer{
		Ring:        ring,
		Authorize:   func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer ok" },
		AllowOrigin: "http://localhost:8233",
	})
	defer srv.Close()

	post := func(auth string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}
	resp := post("")
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp = post("Bearer ok")
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	var raw json.RawMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&raw))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(raw, &out))
	var s string
	require.NoError(t, converter.GetDefaultDataConverter().FromPayload(out.GetPayloads()[0], &s))
	assert.Equal(t, "hello reviewer", s)
}

// echoSecret returns its input inside an error, so failure messages are covered too.
func echoSecret(_ context.Context, s string) (string, error) {
	return "", temporal.NewNonRetryableApplicationError("refused: "+s, "Refused", nil)
}

// SecretWorkflow passes a secret through an activity and fails with it.
func SecretWorkflow(ctx workflow.Context, s string) (string, error) {
	return durable.Execute[string](ctx, echoSecret, s+"-input", durable.Quick("echo"))
}

func TestRawHistoryHoldsNoPlaintextWithCodec(t *testing.T) {
	srv := durabletest.Server(t)
	ring, err := durable.NewKeyRing("k", map[string][]byte{"k": key(t)})
	require.NoError(t, err)
	copts := client.Options{HostPort: srv.HostPort(), Namespace: srv.Namespace()}
	require.NoError(t, durable.Encryption{Ring: ring}.Apply(&copts))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := durable.DialOptions(ctx, copts)
	require.NoError(t, err)
	defer c.Close()

	w := durabletest.StartWorkerConfig(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(SecretWorkflow)
		r.RegisterActivity(echoSecret)
	}, durabletest.Config{Client: durable.Encryption{Ring: ring}.Apply})

	const secret = "TOP-SECRET-PROMPT-4711"
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, SecretWorkflow, secret)
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.ErrorContains(t, err, "refused: "+secret+"-input", "the codec client still reads the failure")

	raw := rawHistory(ctx, t, srv.Client(), run.GetID())
	assert.NotContains(t, raw, secret, "no plaintext input, result or failure message in the server's history")
	assert.Contains(t, raw, durable.MetadataEncodingEncrypted)
}

func TestRawHistoryHoldsPlaintextWithoutCodec(t *testing.T) {
	// The control for the test above: without the codec the same secret is visible,
	// so the assertion there can fail.
	srv := durabletest.Server(t)
	w := durabletest.StartWorker(t, srv, func(r worker.Registry) {
		r.RegisterWorkflow(SecretWorkflow)
		r.RegisterActivity(echoSecret)
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := srv.Client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: w.TaskQueue}, SecretWorkflow, "VISIBLE-123")
	require.NoError(t, err)
	require.Error(t, run.Get(ctx, nil))
	assert.Contains(t, rawHistory(ctx, t, srv.Client(), run.GetID()), "VISIBLE-123")
}

func rawHistory(ctx context.Context, t *testing.T, c client.Client, id string) string {
	t.Helper()
	it := c.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var b strings.Builder
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		raw, err := proto.Marshal(ev)
		require.NoError(t, err)
		b.Write(raw)
	}
	return b.String()
}

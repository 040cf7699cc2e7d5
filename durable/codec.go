package durable

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Payload metadata written by [EncryptionCodec].
const (
	// MetadataEncodingEncrypted marks a payload sealed with AES-256-GCM.
	MetadataEncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the metadata entry that holds the key id.
	MetadataKeyID = "encryption-key-id"
	// EnvCodecKeys names the variable [KeyRingFromEnv] reads:
	// "id1:base64key,id2:base64key", the first id encrypts, all ids decrypt.
	EnvCodecKeys = "DURABLE_CODEC_KEYS"
)

// ErrInvalidKeyRing is matched (errors.Is) by every error that [NewKeyRing],
// [ParseKeyRing] and [KeyRingFromEnv] return for bad keys or ids.
var ErrInvalidKeyRing = errors.New("durable: invalid key ring")

// ErrUnknownKey is returned when a payload names a key id the ring lacks.
var ErrUnknownKey = errors.New("durable: payload encrypted with a key id that is not in the key ring")

// KeyRing holds AES-256 keys by id: one current key that encrypts, and older
// keys that still decrypt what they sealed. Rotate by making a new key current
// and keeping the old ones until no history refers to them. A KeyRing is
// immutable and safe for concurrent use.
type KeyRing struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyRing builds a ring whose current key is current. Every key must be
// 32 bytes (AES-256).
func NewKeyRing(current string, keys map[string][]byte) (*KeyRing, error) {
	if _, ok := keys[current]; !ok {
		return nil, fmt.Errorf("%w: current key id %q is not among the keys: add it", ErrInvalidKeyRing, current)
	}
	r := &KeyRing{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, k := range keys {
		if id == "" || strings.ContainsAny(id, ":,") {
			return nil, fmt.Errorf("%w: key id %q must be non-empty without ':' or ','", ErrInvalidKeyRing, id)
		}
		if len(k) != 32 {
			return nil, fmt.Errorf("%w: key %q has %d bytes; AES-256 needs 32 (generate one with `openssl rand -base64 32`)", ErrInvalidKeyRing, id, len(k))
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		r.aeads[id] = aead
	}
	return r, nil
}

// KeyRingFromEnv reads $DURABLE_CODEC_KEYS ("id:base64key,..."; the first id
// is current). It returns nil and no error when the variable is unset.
func KeyRingFromEnv() (*KeyRing, error) {
	v := os.Getenv(EnvCodecKeys)
	if v == "" {
		return nil, nil
	}
	return ParseKeyRing(v)
}

// ParseKeyRing parses "id:base64key,id2:base64key"; the first id is current.
func ParseKeyRing(s string) (*KeyRing, error) {
	current, keys, err := ParseKeys(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvCodecKeys, err)
	}
	return NewKeyRing(current, keys)
}

// ParseKeys parses a key list "id:base64key,id2:base64key" into the id of
// its first key (the current one) and the keys by id. Errors match
// [ErrInvalidKeyRing] and say which entry is wrong. It is the one parser of
// key lists: [ParseKeyRing] and the signing keys of package hitlhttp use it.
func ParseKeys(s string) (current string, keys map[string][]byte, err error) {
	keys = map[string][]byte{}
	for i, part := range strings.Split(s, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return "", nil, fmt.Errorf("%w: entry %d is not id:base64key", ErrInvalidKeyRing, i+1)
		}
		k, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return "", nil, fmt.Errorf("%w: key %q is not base64: %w", ErrInvalidKeyRing, id, err)
		}
		if _, dup := keys[id]; dup {
			return "", nil, fmt.Errorf("%w: key %q appears twice", ErrInvalidKeyRing, id)
		}
		keys[id] = k
		if i == 0 {
			current = id
		}
	}
	return current, keys, nil
}

// Current is the id of the key that encrypts.
func (r *KeyRing) Current() string { return r.current }

// EncryptionCodec is a [converter.PayloadCodec] that seals each payload with
// AES-256-GCM under the ring's current key, binding the key id as additional
// data so a payload cannot be replayed under another id. Payloads it did not
// seal pass through Decode untouched.
type EncryptionCodec struct {
	ring *KeyRing
}

// NewEncryptionCodec returns a codec over ring.
func NewEncryptionCodec(ring *KeyRing) *EncryptionCodec { return &EncryptionCodec{ring: ring} }

// Encode implements [converter.PayloadCodec].
func (c *EncryptionCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.ring.aeads[c.ring.current]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(MetadataEncodingEncrypted),
				MetadataKeyID:              []byte(c.ring.current),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.ring.current)),
		}
	}
	return out, nil
}

// Decode implements [converter.PayloadCodec].
func (c *EncryptionCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != MetadataEncodingEncrypted {
			out[i] = p
			continue
		}
		id := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.ring.aeads[id]
		if !ok {
			return nil, fmt.Errorf("%w: %q (add the old key to %s to read it)", ErrUnknownKey, id, EnvCodecKeys)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize() {
			return nil, errors.New("durable: encrypted payload is shorter than its nonce")
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(id))
		if err != nil {
			return nil, fmt.Errorf("durable: decrypt payload with key %q: %w", id, err)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, err
		}
		out[i] = &dec
	}
	return out, nil
}

// Codecs returns the codec chain: zlib compression, then encryption (when ring
// is not nil). Compression comes first because encrypted bytes do not compress.
func Codecs(ring *KeyRing) []converter.PayloadCodec {
	zlib := converter.NewZlibCodec(converter.ZlibCodecOptions{})
	if ring == nil {
		return []converter.PayloadCodec{zlib}
	}
	// NewCodecDataConverter applies codecs last to first on encode.
	return []converter.PayloadCodec{NewEncryptionCodec(ring), zlib}
}

// Encryption configures clients (and so workers) to compress and encrypt every
// payload: workflow and activity inputs and results, signals, updates,
// queries, memos, and failure messages and stack traces. Search attributes
// stay readable to the server by design: never put secrets in them.
type Encryption struct {
	// Ring holds the keys. Nil turns encryption off and keeps compression.
	Ring *KeyRing
}

// Apply installs the codec chain and an encoding failure converter on opts,
// for use with [Dial]: durable.Dial(ctx, durable.Encryption{Ring: ring}.Apply).
func (e Encryption) Apply(opts *client.Options) error {
	parent := opts.DataConverter
	if parent == nil {
		parent = converter.GetDefaultDataConverter()
	}
	dc := converter.NewCodecDataConverter(parent, Codecs(e.Ring)...)
	opts.DataConverter = dc
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          dc,
		EncodeCommonAttributes: e.Ring != nil,
	})
	return nil
}

// CodecServer is an [http.Handler] that the Temporal Web UI and CLI call to
// decode payloads for people (`temporal ... --codec-endpoint`, or the UI's
// codec server setting). Authorize decides who may see plaintext; nil refuses
// everyone. AllowOrigin is the Web UI origin allowed by CORS, e.g.
// "http://localhost:8233"; empty sends no CORS headers.
type CodecServer struct {
	Ring        *KeyRing
	Authorize   func(*http.Request) bool
	AllowOrigin string
}

// ServeHTTP implements [http.Handler]: POST /encode and POST /decode.
func (s CodecServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.AllowOrigin != "" {
		w.Header().Set("Access-Control-Allow-Origin", s.AllowOrigin)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization,Content-Type,X-Namespace")
		w.Header().Set("Access-Control-Allow-Methods", "POST,OPTIONS")
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if s.Authorize == nil || !s.Authorize(r) {
		http.Error(w, "durable: not authorised to decode payloads", http.StatusUnauthorized)
		return
	}
	converter.NewPayloadCodecHTTPHandler(Codecs(s.Ring)...).ServeHTTP(w, r)
}

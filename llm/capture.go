package llm

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/openai/openai-go/v3/option"
)

// maxPlainBody bounds the plain JSON answer read from a streamed request.
const maxPlainBody = 32 << 20

// plainBody catches the answer of a streamed request that the server sent
// as one JSON document instead of server-sent events (servers that ignore
// "stream", and a GET of a response whose ?stream=true was dropped).
// openai-go's event decoder would read such a body as an empty stream that
// ends without an error; plainBody keeps the document for the caller and
// hands the decoder an empty body.
type plainBody struct {
	body []byte
}

// option returns the middleware that fills p.
func (p *plainBody) option() option.RequestOption {
	return option.WithMiddleware(func(req *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		res, err := next(req)
		if err != nil || res == nil || res.Body == nil || res.StatusCode < 200 || res.StatusCode >= 300 {
			return res, err
		}
		ct, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if ct == "text/event-stream" {
			return res, nil
		}
		br := bufio.NewReader(res.Body)
		if !strings.Contains(ct, "json") && !startsWithBrace(br) {
			res.Body = readCloser{br, res.Body}
			return res, nil
		}
		b, rerr := io.ReadAll(io.LimitReader(br, maxPlainBody))
		_ = res.Body.Close()
		if rerr != nil {
			return res, rerr
		}
		p.body = b
		res.Body = io.NopCloser(bytes.NewReader(nil))
		return res, nil
	})
}

// startsWithBrace reports whether the body's first non-space byte is '{'.
func startsWithBrace(br *bufio.Reader) bool {
	for n := 1; n <= 512; n++ {
		b, err := br.Peek(n)
		if len(b) < n {
			return false
		}
		switch c := b[n-1]; c {
		case ' ', '\t', '\r', '\n':
			if err != nil {
				return false
			}
			continue
		default:
			return c == '{'
		}
	}
	return false
}

type readCloser struct {
	io.Reader
	io.Closer
}

package hitlhttp

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRenderMarkdown(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the HTML
		not       []string // never in the HTML (case-insensitive)
	}{
		{name: "structure", src: "# Title\n\nSome **bold** and *em*.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
			want: []string{"<h1>Title</h1>", "<strong>bold</strong>", "<em>em</em>", "<li>one</li>", "<table>", "<td>1</td>"},
			not:  []string{" id="}},
		{name: "raw html is dropped", src: "<script>alert(1)</script>\n\nhi <b onmouseover=\"x()\">there</b> <img src=x onerror=y>",
			want: []string{"raw HTML omitted", "hi "},
			not:  []string{"<script", "onmouseover", "onerror", "<img", "<b"}},
		{name: "javascript link loses its href", src: "[click](javascript:alert(1)) [ok](https://example.com/a?b=c)",
			want: []string{"click", `<a href="https://example.com/a?b=c" rel="nofollow noopener noreferrer">ok</a>`},
			not:  []string{"javascript:"}},
		{name: "encoded schemes", src: "[a](&#106;avascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](vbscript:x) [d](data:text/html,x) [e](file:///etc/passwd)",
			want: []string{"a", "b", "c", "d", "e"},
			not:  []string{"href", "javascript", "vbscript", "data:", "file:"}},
		{name: "relative and mailto links stay", src: "[rel](../other) [frag](#top) [mail](mailto:a@example.com) <https://example.com>",
			want: []string{`href="../other"`, `href="#top"`, `href="mailto:a@example.com"`, `href="https://example.com"`}},
		{name: "autolink with a bad scheme is text", src: "<javascript:alert(1)>",
			not: []string{"href"}},
		{name: "images become links, loading nothing", src: "![chart](https://tracker.example.com/p.png) [![logo](x.png)](https://example.com)",
			want: []string{`<a href="https://tracker.example.com/p.png" rel="nofollow noopener noreferrer">image: chart</a>`, "image: logo"},
			not:  []string{"<img", `href="x.png"`}},
		{name: "code is escaped", src: "`<script>`\n\n```\n<iframe src=x>\n```\n",
			want: []string{"&lt;script&gt;", "&lt;iframe src=x&gt;"},
			not:  []string{"<script", "<iframe"}},
		{name: "no attribute syntax or heading ids", src: "# approve {#approve}\n",
			not: []string{`id="approve"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := string(renderMarkdown(tc.src))
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
			for _, n := range tc.not {
				assert.NotContains(t, strings.ToLower(out), strings.ToLower(n))
			}
		})
	}
}

func TestSafeURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://example.com": true, "http://x": true, "mailto:a@b": true, "/abs": true, "rel/x": true,
		"#f": true, "?q=1": true, "//cdn.example.com/x": true,
		"javascript:x": false, " javascript:x": false, "JAVASCRIPT:x": false, "data:x": false,
		"vbscript:x": false, "tel:123": false, "java\tscript:x": false, "": false, "x:y/z": false,
	} {
		assert.Equal(t, want, safeURL(raw), raw)
	}
}

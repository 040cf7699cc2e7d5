package hitlhttp

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders drafts: CommonMark with GitHub's tables,
// strikethrough, autolinks and task lists. Its HTML renderer runs without
// the unsafe option, so raw HTML in a draft becomes a comment and never
// markup; headings get no ids (a draft cannot name an element of the
// page), and links are filtered by safeLinks.
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// linkRel is the rel of every link in a rendered draft.
var linkRel = []byte("nofollow noopener noreferrer")

// renderMarkdown turns an untrusted draft into HTML that runs nothing:
// raw HTML is dropped, a link whose scheme is not http, https or mailto
// (or relative) keeps its text and loses its href, and an image becomes a
// link to it (the page loads nothing a draft names). On a rendering
// failure the draft is shown as escaped text.
func renderMarkdown(src string) template.HTML {
	source := []byte(src)
	doc := markdown.Parser().Parse(text.NewReader(source))
	safeLinks(doc, source)
	var b bytes.Buffer
	if err := markdown.Renderer().Render(&b, source, doc); err != nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>") //nolint:gosec // escaped
	}
	return template.HTML(b.String()) //nolint:gosec // goldmark escapes text and drops raw HTML; links are filtered
}

// safeLinks rewrites the links and images of doc in place.
func safeLinks(doc ast.Node, source []byte) {
	var links []*ast.Link
	var autos []*ast.AutoLink
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := n.(type) {
		case *ast.Link:
			links = append(links, x)
		case *ast.AutoLink:
			autos = append(autos, x)
		case *ast.Image:
			images = append(images, x)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		link.AppendChild(link, ast.NewString([]byte("image: ")))
		moveChildren(img, link)
		img.Parent().ReplaceChild(img.Parent(), img, link)
		if inLink(link) {
			unwrap(link) // an image inside a link: its text, in the outer link
			continue
		}
		links = append(links, link)
	}
	for _, l := range links {
		if !safeHref(l.Destination) {
			unwrap(l)
			continue
		}
		l.SetAttributeString("rel", linkRel)
	}
	for _, a := range autos {
		if p := a.Parent(); p != nil && !safeHref(a.URL(source)) {
			p.ReplaceChild(p, a, ast.NewString(a.Label(source)))
			continue
		}
		a.SetAttributeString("rel", linkRel)
	}
}

// safeHref checks a link's destination as written and as the renderer
// writes it into the href (entities and escapes resolved).
func safeHref(dest []byte) bool {
	return safeURL(string(dest)) && safeURL(string(util.URLEscape(dest, true)))
}

// safeURL reports whether a draft's link may become an href: relative
// links and fragments, http, https and mailto. Anything that does not
// parse is refused.
func safeURL(raw string) bool {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "":
		// A relative reference: refuse anything a browser could still
		// read as a scheme ("javascript&colon;" decoded later, or a colon
		// before the first slash).
		first := strings.IndexAny(raw, "/?#")
		if c := strings.IndexByte(raw, ':'); c >= 0 && (first < 0 || c < first) {
			return false
		}
		return true
	case "http", "https", "mailto":
		return true
	}
	return false
}

// inLink reports whether n is inside a link.
func inLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if _, ok := p.(*ast.Link); ok {
			return true
		}
	}
	return false
}

// moveChildren moves from's children to the end of to's.
func moveChildren(from, to ast.Node) {
	for c := from.FirstChild(); c != nil; c = from.FirstChild() {
		from.RemoveChild(from, c)
		to.AppendChild(to, c)
	}
}

// unwrap replaces n by its children.
func unwrap(n ast.Node) {
	p := n.Parent()
	if p == nil {
		return
	}
	for c := n.FirstChild(); c != nil; c = n.FirstChild() {
		n.RemoveChild(n, c)
		p.InsertBefore(p, n, c)
	}
	p.RemoveChild(p, n)
}

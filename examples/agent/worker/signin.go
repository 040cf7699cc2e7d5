package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"

	supportagent "github.com/durable-llm/durable-llm/examples/agent"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp"
	"github.com/durable-llm/durable-llm/hitl/hitlhttp/oidcauth"
)

// signInFlags say how reviewers sign in to the pages.
type signInFlags struct {
	issuer, clientID, public string
	demo                     bool
	links                    multiFlag
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (f *signInFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.issuer, "oidc-issuer", "", "OpenID Connect issuer URL of the reviewers' identity provider")
	fs.StringVar(&f.clientID, "oidc-client-id", "", "OAuth client ID at the provider (the client secret is $OIDC_CLIENT_SECRET)")
	fs.StringVar(&f.public, "public-url", "", "address browsers use for the server, without /review (default http://localhost:<port>)")
	fs.BoolVar(&f.demo, "demo-login", false, "let anyone act as any reviewer (demo only)")
	fs.Var(&f.links, "link", "print a signed review link for reviewer:workflow-id[:version] (repeatable)")
}

// publicURL is the pages' browser address, ReviewPrefix included.
func (f signInFlags) publicURL(addr string) string {
	if f.public != "" {
		return strings.TrimRight(f.public, "/") + supportagent.ReviewPrefix
	}
	return strings.TrimRight(pageURL(addr), "/") + supportagent.ReviewPrefix
}

// pageURL is the browser address of the server listening on addr.
func pageURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// auth builds the pages' sign-in from the flags and $HITL_SIGNING_KEYS.
func (f signInFlags) auth(addr string) (supportagent.ReviewAuth, error) {
	ring, err := hitlhttp.KeyRingFromEnv()
	if err != nil {
		return supportagent.ReviewAuth{}, err
	}
	if ring == nil {
		fmt.Printf("%s is unset: sessions and review links use a random key and end with this process\n", hitlhttp.EnvKeys)
	}
	a := supportagent.ReviewAuth{Keys: ring, DemoLogin: f.demo}
	if f.issuer != "" {
		a.OIDC = oidcauth.Config{
			Issuer: f.issuer, ClientID: f.clientID, ClientSecret: os.Getenv("OIDC_CLIENT_SECRET"),
			RedirectURL: f.publicURL(addr) + "/signin/callback",
		}
	}
	if a.Keys == nil {
		if a.Keys, err = hitlhttp.RandomKeyRing("process"); err != nil {
			return a, err
		}
	}
	return a, nil
}

// printLinks prints the links -link asked for.
func (f signInFlags) printLinks(w io.Writer, a supportagent.ReviewAuth, addr string) error {
	links := hitlhttp.Links{Keys: a.Keys, BaseURL: f.publicURL(addr)}
	for _, spec := range f.links {
		parts := strings.SplitN(spec, ":", 3)
		if len(parts) < 2 {
			return fmt.Errorf("-link %q: use reviewer:workflow-id[:version]", spec)
		}
		l := hitlhttp.Link{Reviewer: parts[0], Review: parts[1]}
		if len(parts) == 3 {
			v, err := strconv.Atoi(parts[2])
			if err != nil {
				return fmt.Errorf("-link %q: version: %w", spec, err)
			}
			l.Version = v
		}
		u, err := links.URL(l)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "review link for %s on %s: %s\n", l.Reviewer, l.Review, u)
	}
	return nil
}

func (f signInFlags) describe() string {
	switch {
	case f.issuer != "":
		return "sign-in with " + f.issuer + ", or a review link"
	case f.demo:
		return "demo sign-in: pick any reviewer name"
	}
	return "review links only: pass -link reviewer:workflow-id, or -oidc-issuer"
}

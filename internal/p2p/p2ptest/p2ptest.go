package p2ptest

import (
	"log/slog"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"

	"github.com/peerhood/peerhood/internal/p2p"
)

// Loopback is the listen address of a test host: TCP on 127.0.0.1, a port
// the kernel picks.
const Loopback = "/ip4/127.0.0.1/tcp/0"

// Option changes the host's configuration.
type Option func(*p2p.Config)

// WithLog sends the host's logs to l.
func WithLog(l *slog.Logger) Option { return func(c *p2p.Config) { c.Log = l } }

// WithListen replaces the listen addresses.
func WithListen(addrs ...string) Option { return func(c *p2p.Config) { c.ListenAddrs = addrs } }

// Key returns a fresh Ed25519 key.
func Key(t testing.TB) crypto.PrivKey {
	t.Helper()
	k, _, err := crypto.GenerateEd25519Key(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// New starts a host with key k (nil: a fresh key) listening on Loopback.
// It is closed when the test ends; closing it earlier is fine (Close may
// be called twice).
func New(t testing.TB, k crypto.PrivKey, opts ...Option) *p2p.Host {
	t.Helper()
	if k == nil {
		k = Key(t)
	}
	cfg := p2p.Config{Key: k, ListenAddrs: []string{Loopback}}
	for _, o := range opts {
		o(&cfg)
	}
	h, err := p2p.New(cfg)
	if err != nil {
		t.Fatalf("start test host: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

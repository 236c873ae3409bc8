package tunnel

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/peerhood/peerhood/internal/workgroup"
)

func TestParseRuleAndMayUse(t *testing.T) {
	bob := workgroup.Member{Workgroup: testWG, Name: "bob", Groups: []string{"ops"}}
	tests := []struct {
		allow []string
		want  bool
	}{
		{nil, false}, // the default: nobody
		{[]string{"*"}, true},
		{[]string{"*=use"}, true},
		{[]string{"*=use", "bob=none"}, false},
		{[]string{"*=none", "Bob=USE"}, true},
		{[]string{"group:ops"}, true},
		{[]string{"*=use", "group:ops=none"}, false},
		{[]string{"group:ops=none", "bob=use"}, true},
		{[]string{"alice=use"}, false},
	}
	for _, tc := range tests {
		rules, err := ParseRules(tc.allow)
		if err != nil {
			t.Fatalf("%v: %v", tc.allow, err)
		}
		if got := MayUse(rules, bob); got != tc.want {
			t.Errorf("%v: MayUse = %v, want %v", tc.allow, got, tc.want)
		}
	}
	for _, bad := range []string{"bob=ro", "bob=rw", "=use", "group:=use", "bad name=use"} {
		if _, err := ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
}

func TestCheckTargetAndLocalAddr(t *testing.T) {
	targets := []struct {
		in     string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:22", false, true},
		{"localhost:8080", false, true},
		{"[::1]:631", false, true},
		{"127.9.9.9:1", false, true},
		{"192.168.1.5:22", true, true},
		{"printer.lan:631", true, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1:0", false, false},
		{":22", false, false},
		{"127.0.0.1:70000", false, false},
	}
	for _, tc := range targets {
		remote, err := CheckTarget(tc.in)
		if (err == nil) != tc.ok || (tc.ok && remote != tc.remote) {
			t.Errorf("CheckTarget(%q) = %v, %v", tc.in, remote, err)
		}
	}
	locals := []struct{ in, want string }{
		{"", "127.0.0.1:0"},
		{"2222", "127.0.0.1:2222"},
		{":2222", "127.0.0.1:2222"},
		{"localhost:2222", "127.0.0.1:2222"},
		{"[::1]:2222", "[::1]:2222"},
		{"0.0.0.0:2222", ""},
		{"192.168.1.5:2222", ""},
		{"x", ""},
	}
	for _, tc := range locals {
		got, err := LocalAddr(tc.in)
		if (tc.want == "") != (err != nil) || got != tc.want {
			t.Errorf("LocalAddr(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// A persisted forward listens again on the same address when the service
// starts again over the same database, and carries connections; rm
// forgets it.
func TestPersistedForwardRestored(t *testing.T) {
	alpha, bravo := newNode(t, "alpha"), newNode(t, "bravo")
	link(alpha, bravo)
	tg := newTarget(t, echo)
	alpha.offer(t, "echo", tg.addr(), "bravo")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := bravo.svc.AddForward(ctx, ForwardRequest{Member: "ALPHA", Service: "Echo", Persist: true})
	if err != nil {
		t.Fatal(err)
	}
	bravo.svc.Close()
	bravo.svc = New(bravo.db, bravo.h.Host, bravo.dir, nil, Options{})
	if err := bravo.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bravo.svc.Close() })
	fs := bravo.svc.Forwards()
	if len(fs) != 1 || fs[0].Local != f.Local || !fs[0].Listening || fs[0].Member != "alpha" || fs[0].Service != "echo" {
		t.Fatalf("restored forwards %+v, want %s", fs, f.Local)
	}
	c := dialLocal(t, f.Local)
	c.Write([]byte("again"))
	c.CloseWrite()
	if b, err := io.ReadAll(c); err != nil || string(b) != "again" {
		t.Fatalf("read %q, %v", b, err)
	}
	if _, err := bravo.svc.RemoveForward(ctx, "alpha:echo"); err != nil {
		t.Fatal(err)
	}
	stored, err := bravo.svc.Configs().forwards(ctx)
	if err != nil || len(stored) != 0 {
		t.Fatalf("stored forwards after rm: %v, %v", stored, err)
	}
	if _, err := bravo.svc.RemoveForward(ctx, f.Local); err == nil {
		t.Fatal("removed a forward twice")
	}
}

package cli

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLoggerFlags(t *testing.T) {
	tests := []struct {
		level, format string
		wantErr       string
		wantJSON      bool
	}{
		{"info", "text", "", false},
		{"debug", "json", "", true},
		{"WARN", "JSON", "", true},
		{"loud", "text", "--log-level", false},
		{"info", "xml", "--log-format", false},
	}
	for _, tc := range tests {
		t.Run(tc.level+"/"+tc.format, func(t *testing.T) {
			var errOut bytes.Buffer
			a := &App{Err: &errOut}
			a.g.logLevel, a.g.logFormat = tc.level, tc.format
			log, err := a.Logger()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error naming %s, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Error("hello")
			if got := strings.HasPrefix(errOut.String(), "{"); got != tc.wantJSON {
				t.Fatalf("json=%v output %q", got, errOut.String())
			}
		})
	}
}

// libp2p's logs pass only from warn up, unless --log-level is debug.
func TestMinLevel(t *testing.T) {
	for _, tc := range []struct {
		userLevel slog.Level
		infoPass  bool
	}{{slog.LevelInfo, false}, {slog.LevelDebug, true}, {slog.LevelError, false}} {
		var out bytes.Buffer
		h := slog.NewTextHandler(&out, &slog.HandlerOptions{Level: tc.userLevel})
		l := slog.New(minLevel{Handler: h, min: libp2pFloor(tc.userLevel)}).With("logger", "swarm")
		l.Info("chatter")
		l.Warn("warning")
		if got := strings.Contains(out.String(), "chatter"); got != tc.infoPass {
			t.Errorf("user level %v: info passed=%v", tc.userLevel, got)
		}
		if want := tc.userLevel <= slog.LevelWarn; strings.Contains(out.String(), "warning") != want {
			t.Errorf("user level %v: warning passed=%v", tc.userLevel, !want)
		}
		if tc.infoPass && !strings.Contains(out.String(), "logger=swarm") {
			t.Errorf("attributes lost: %q", out.String())
		}
	}
}

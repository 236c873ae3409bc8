package apitypes

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"24h", 24 * time.Hour, ""},
		{"30m", 30 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"1w", 7 * 24 * time.Hour, ""},
		{"1w2d", 9 * 24 * time.Hour, ""},
		{"1.5d", 36 * time.Hour, ""},
		{"2d12h", 60 * time.Hour, ""},
		{"1d30m", 24*time.Hour + 30*time.Minute, ""},
		{" 3d ", 72 * time.Hour, ""},
		{"-1d", -24 * time.Hour, ""},
		{"", 0, "empty"},
		{"d", 0, "number and a unit"},
		{"5", 0, "number and a unit"},
		{"2x", 0, "units are"},
		{"1..5d", 0, "bad number"},
		{"99999999999w", 0, "too long"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseDuration(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseDuration(%q) = %v, %v; want error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseDuration(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if tc.want > 0 {
				back, err := ParseDuration(FormatDuration(got))
				if err != nil || back != got {
					t.Fatalf("FormatDuration(%v) = %q reads back as %v, %v", got, FormatDuration(got), back, err)
				}
			}
		})
	}
}

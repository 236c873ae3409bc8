package cli

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/peerhood/peerhood/internal/apitypes"
)

// durationValue is a flag taking apitypes.ParseDuration's durations
// (Go's units, and d and w): one parser for every --expires.
type durationValue time.Duration

func (d *durationValue) Set(s string) error {
	v, err := apitypes.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return apitypes.FormatDuration(time.Duration(*d)) }
func (d *durationValue) Type() string   { return "duration" }

// durationFlag declares a duration flag that reads 2d and 1w too.
func durationFlag(f *pflag.FlagSet, p *time.Duration, name string, def time.Duration, usage string) {
	*p = def
	f.Var((*durationValue)(p), name, usage+" (e.g. 90m, 24h, 2d, 1w)")
}

// workgroupFlag declares --workgroup/-w, the one spelling every command
// that sends a workgroup takes (TestEveryWorkgroupFlagHasShorthand).
func workgroupFlag(f *pflag.FlagSet, p *string, usage string) {
	if usage == "" {
		usage = "workgroup name or ID (default: the only one, or the one the member named is in)"
	}
	f.StringVarP(p, "workgroup", "w", "", usage)
}

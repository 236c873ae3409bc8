package share

import (
	"context"
	"crypto/rand"
	"encoding/hex"

	"github.com/peerhood/peerhood/internal/events"
)

// SetEvents makes the share list publish share.changed on b. Call it
// before the service is used; transfers publish through
// TransferOptions.Events.
func (s *Service) SetEvents(b *events.Bus) { s.configs.events = b }

// known returns share name's configuration when events are wired (the
// zero Config otherwise, or when there is no such share).
func (c *Configs) known(ctx context.Context, name string) Config {
	if c.events == nil {
		return Config{}
	}
	cfg, _ := c.Get(ctx, name)
	return cfg
}

// note publishes a change of share cfg (from known).
func (c *Configs) note(cfg Config, change string) {
	if cfg.Name != "" {
		c.events.Publish(cfg.Workgroup, events.ShareChange{Name: cfg.Name, Change: change})
	}
}

// publishing returns o with its Progress also publishing
// transfer.progress for one file on o.Events (at most every
// events.ProgressEvery), and the reporter to end with Done.
func (o TransferOptions) publishing(c *Client, direction, share, path string) (TransferOptions, *events.Progress) {
	if o.Events == nil {
		return o, nil
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	tp := o.Events.Progress(o.Workgroup, events.TransferProgress{
		ID: hex.EncodeToString(id[:]), Direction: direction, Peer: c.Peer().String(), Share: share, Path: path,
	})
	fn := o.Progress
	o.Progress = func(name string, done, total int64) {
		tp.Update(done, total)
		if fn != nil {
			fn(name, done, total)
		}
	}
	return o, tp
}

package presence

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peerhood/peerhood/internal/testutil"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// peerhood_members_online counts the members a node sees present: itself
// and a member heard online; a member that logs off leaves the count.
func TestMembersOnlineMetric(t *testing.T) {
	t.Parallel()
	ha, hb := newHost(t), newHost(t)
	dirA := workgroup.NewStaticDirectory(ha.ID(), member(ha, "a"), member(hb, "b"))
	dirB := workgroup.NewStaticDirectory(hb.ID(), member(ha, "a"), member(hb, "b"))
	a, b := start(t, ha, dirA), start(t, hb, dirB)
	connect(t, ha, hb)
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.Collectors()...)
	online := func() (float64, error) {
		mfs, err := reg.Gather()
		if err != nil {
			return 0, err
		}
		for _, mf := range mfs {
			if mf.GetName() == "peerhood_members_online" {
				for _, m := range mf.GetMetric() {
					if m.GetLabel()[0].GetValue() == wg {
						return m.GetGauge().GetValue(), nil
					}
				}
			}
		}
		return 0, fmt.Errorf("no peerhood_members_online{workgroup=%q}", wg)
	}
	want := func(n float64) func() error {
		return func() error {
			got, err := online()
			if err != nil || got != n {
				return fmt.Errorf("members online %v (%v), want %v", got, err, n)
			}
			return nil
		}
	}
	testutil.Eventually(t, 20*time.Second, want(2))
	if _, err := b.Logoff(context.Background()); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, want(1))
}

package discovery

import (
	"context"
	"time"

	"github.com/peerhood/peerhood/internal/share"
	"github.com/peerhood/peerhood/internal/workgroup"
)

// SharesFunc lists the shares of member m that this node may see.
type SharesFunc func(ctx context.Context, m workgroup.Member) ([]share.ShareInfo, error)

// browseSharesTimeout bounds one request for a member's shares;
// browseWait bounds how long browse waits for the answers before it
// lists a member's last known shares instead.
const (
	browseSharesTimeout = 3 * time.Second
	browseWait          = time.Second
)

// shareLists asks members for their shares on behalf of browse and keeps
// the last answer of each (memberLists, servicelists.go), so one member
// that is slow or cut off (its connection still looks open) does not
// hold every browse for the whole request timeout.
type shareLists struct {
	l *memberLists[share.ShareInfo]
}

// browseAsks bounds the share requests under way at once.
const browseAsks = 16

func newShareLists(bg *Service, sharesOf SharesFunc) *shareLists {
	return &shareLists{newMemberLists(bg, sharesOf)}
}

// fill asks every reachable member for the shares this node may see
// there and waits up to browseWait (or until ctx ends) for the answers;
// a member that has not answered by then is listed with its last known
// shares (none if it never answered). Members shown offline are not
// asked and list none: a member cut off by the network can keep a
// connection that looks open for a while.
func (l *shareLists) fill(ctx context.Context, entries []Entry) {
	for i, infos := range l.l.fill(ctx, entries) {
		if infos != nil {
			entries[i].Shares = infos
		}
	}
}

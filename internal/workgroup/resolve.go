package workgroup

import (
	"fmt"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Resolve picks the workgroup a command means: the one named (by ID, ID
// prefix of 6 or more characters, or display name), else the only one the
// node is in. With several and none named it is an error that lists them.
func Resolve(dir Directory, nameOrID string) (Info, error) {
	wgs := dir.Workgroups()
	if len(wgs) == 0 {
		return Info{}, fmt.Errorf("this node is in no workgroup: create one with 'peerhood workgroup create NAME' or join with 'peerhood join TOKEN'")
	}
	if nameOrID == "" {
		if len(wgs) == 1 {
			return wgs[0], nil
		}
		return Info{}, fmt.Errorf("this node is in %d workgroups; choose one with --workgroup: %s", len(wgs), listInfos(wgs))
	}
	var matches []Info
	for _, w := range wgs {
		if w.ID == nameOrID {
			return w, nil
		}
		if strings.EqualFold(w.Name, nameOrID) || (len(nameOrID) >= 6 && strings.HasPrefix(w.ID, nameOrID)) {
			matches = append(matches, w)
		}
	}
	switch len(matches) {
	case 0:
		return Info{}, fmt.Errorf("no workgroup %q; this node is in: %s", nameOrID, listInfos(wgs))
	case 1:
		return matches[0], nil
	}
	return Info{}, fmt.Errorf("%q matches several workgroups; use the ID: %s", nameOrID, listInfos(matches))
}

// ResolveFor picks the workgroup a command about members means: the one
// named, else the only one the node is in, else, when it is in several,
// the only one in which every member named is a member (by name). It is
// the rule of every command that names a member (mail, copy, get, put,
// ls, forward, member remove ...), so -w is needed only when the names
// do not tell.
func ResolveFor(dir Directory, nameOrID string, members ...string) (Info, error) {
	wgs := dir.Workgroups()
	if nameOrID != "" || len(members) == 0 || len(wgs) <= 1 {
		return Resolve(dir, nameOrID)
	}
	var in []Info
	for _, w := range wgs {
		all := true
		for _, m := range members {
			if _, ok := dir.ByName(w.ID, m); !ok {
				all = false
				break
			}
		}
		if all {
			in = append(in, w)
		}
	}
	who := strings.Join(members, ", ")
	switch len(in) {
	case 1:
		return in[0], nil
	case 0:
		return Info{}, fmt.Errorf("no workgroup of this node has %s as member(s); choose one with --workgroup: %s", who, listInfos(wgs))
	}
	return Info{}, fmt.Errorf("%s: in %d workgroups; choose one with --workgroup: %s", who, len(in), listInfos(in))
}

func listInfos(wgs []Info) string {
	parts := make([]string, len(wgs))
	for i, w := range wgs {
		parts[i] = fmt.Sprintf("%s (%s)", w.Name, w.ID)
	}
	return strings.Join(parts, ", ")
}

// FindMember finds the member of wg an admin names: by peer ID (in full,
// or a unique suffix of at least 6 characters, as `members` shows them),
// or by name. A name that two members hold (a name conflict, see
// Member.NameConflict) is refused as ambiguous: the caller must give the
// peer ID, so that `member remove gina` never removes the wrong gina.
func (r *Roster) FindMember(wg, arg string) (Member, error) {
	if p, err := peer.Decode(arg); err == nil {
		if m, ok := r.Member(wg, p); ok {
			return m, nil
		}
	}
	var byID, byName []Member
	for _, m := range r.Members(wg) {
		if len(arg) >= 6 && strings.HasSuffix(m.PeerID.String(), arg) {
			byID = append(byID, m)
		}
		if strings.EqualFold(m.Name, arg) {
			byName = append(byName, m)
		}
	}
	switch {
	case len(byName) == 1 && len(byID) == 0:
		return byName[0], nil
	case len(byID) == 1 && len(byName) == 0:
		return byID[0], nil
	case len(byName)+len(byID) == 0:
		return Member{}, errorf(CodeNotFound, "no member %q in the workgroup", arg)
	}
	ids := make([]string, 0, len(byName)+len(byID))
	for _, m := range append(byName, byID...) {
		note := ""
		if m.NameConflict {
			note = ", name conflict"
		}
		ids = append(ids, fmt.Sprintf("%s (%s%s)", m.PeerID, m.Name, note))
	}
	return Member{}, errorf(CodeConflict, "%q names %d members: %s; give the peer ID", arg, len(ids), strings.Join(ids, ", "))
}

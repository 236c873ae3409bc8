package share

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"syscall"

	"github.com/peerhood/peerhood/internal/workgroup"
)

// userErr is an error reworded for users (which file, what to do), that
// still matches the error it replaces (errors.Is, and so the API status).
type userErr struct {
	msg string
	err error
}

func (e *userErr) Error() string { return e.msg }
func (e *userErr) Unwrap() error { return e.err }

// filesErr rewords the file system's own messages about target t
// ("statat nope.txt: no such file or directory", "removeat renamed:
// directory not empty"), as a sharing node sends them or this node's own
// shares give them, into sentences that name the file as the user typed
// it and say what to do. Other errors pass unchanged.
func filesErr(t Target, err error) error {
	if ue, ok := reword(t, err); ok {
		return ue
	}
	return err
}

// reword is filesErr, telling whether it reworded err.
func reword(t Target, err error) (*userErr, bool) {
	var ue *userErr
	if err == nil || errors.As(err, &ue) {
		return nil, false
	}
	where := t.Share
	if t.Path != "." && t.Path != "" {
		where += "/" + t.Path
	}
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ENOTEMPTY) || strings.Contains(msg, "directory not empty"):
		return &userErr{msg: where + " is a folder and is not empty: remove it with everything in it with peerhood rm -r " + t.String(), err: err}, true
	case (errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist)) && strings.Contains(msg, "no such file or directory"):
		return &userErr{msg: "no such file or folder: " + where + " (on " + t.Node + ")", err: err}, true
	}
	return nil, false
}

// shareNameErr words a share name's refusal once: identity.ValidateName
// says `name "x": ...`, and the share's own prefix would say it again.
func shareNameErr(name string, err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "name "); ok {
		return &userErr{msg: "share name " + rest, err: err}
	}
	return &userErr{msg: "share name " + strconv.Quote(name) + ": " + msg, err: err}
}

// transferErr words a get or put's failure: the destination rules' own
// refusals name their path already; others are prefixed with the target.
func transferErr(t Target, err error) error {
	if errors.Is(err, ErrFileExists) || errors.Is(err, ErrNotFolder) {
		return err
	}
	if ue, ok := reword(t, err); ok {
		return ue
	}
	return fmt.Errorf("%s: %w", t, err)
}

// memberList names the members of wg for a "no member" message, this
// node marked (a node that joined with --name goes by that name there).
func memberList(dir workgroup.Directory, wg string) string {
	ms := dir.Members(wg)
	me, _ := dir.Self(wg)
	var names []string
	for i, m := range ms {
		if i == 8 {
			names = append(names, fmt.Sprintf("and %d more", len(ms)-i))
			break
		}
		n := m.Name
		if m.PeerID == me.PeerID {
			n += " (this node)"
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "it lists no members"
	}
	return "members: " + strings.Join(names, ", ")
}

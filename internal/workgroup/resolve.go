package workgroup

import (
	"fmt"
	"strings"
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

func listInfos(wgs []Info) string {
	parts := make([]string, len(wgs))
	for i, w := range wgs {
		parts[i] = fmt.Sprintf("%s (%s)", w.Name, w.ID)
	}
	return strings.Join(parts, ", ")
}

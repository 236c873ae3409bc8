package share

import "os"

// intoFolder is the rule "a folder target keeps the source's name": a
// source copied onto a folder that exists goes inside it, under its own
// name. isDir tells whether target is such a folder; join joins paths
// of target's kind (filepath.Join for local paths, path.Join for paths
// in a share); name "" (a share's root, which has no name of its own)
// leaves target as it is. get, get -r and put all follow it.
func intoFolder(target string, isDir bool, name string, join func(...string) string) string {
	if !isDir || name == "" {
		return target
	}
	return join(target, name)
}

// isLocalDir reports whether local is a folder that exists.
func isLocalDir(local string) bool {
	fi, err := os.Stat(local)
	return err == nil && fi.IsDir()
}

// Package version reports the peerhood version compiled into the binary.
package version

import "runtime/debug"

// Version is set at link time (-ldflags "-X .../version.Version=v1.2.3");
// otherwise it comes from the module's build information.
var Version = ""

// String returns the version, e.g. "v0.1.0" or "devel (abc1234)".
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 7 {
			return "devel (" + s.Value[:7] + ")"
		}
	}
	return "devel"
}

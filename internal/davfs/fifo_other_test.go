//go:build !unix

package davfs

func mkfifo(string) error { return nil }

package main

import (
	"reflect"
	"time"
)

// yamuxWindow digs the go-yamux stream out of a libp2p stream (for
// -window): its receive window and its session's measured RTT.
func yamuxWindow(s any) (window uint64, rtt time.Duration, ok bool) {
	v := reflect.ValueOf(s)
	for range 12 {
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				return 0, 0, false
			}
			v = v.Elem()
			continue
		case reflect.Struct:
		default:
			return 0, 0, false
		}
		if w := v.FieldByName("recvWindow"); w.IsValid() {
			sess := v.FieldByName("session").Elem()
			return w.Uint(), time.Duration(sess.FieldByName("rtt").Int()), true
		}
		f := v.FieldByName("stream")
		if !f.IsValid() {
			f = v.FieldByName("Stream")
		}
		if !f.IsValid() {
			return 0, 0, false
		}
		v = f
	}
	return 0, 0, false
}

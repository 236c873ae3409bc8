package chat

import (
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

// signedSet is n room messages of 5 authors, parsed as the network path
// parses them; those at bad have their signature changed.
func signedSet(t *testing.T, n int, bad map[int]bool) ([]*msg, []signed) {
	t.Helper()
	var keys []crypto.PrivKey
	for range 5 {
		k, _, err := crypto.GenerateEd25519Key(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	var ms []*msg
	var sigs []signed
	for i := range n {
		k := keys[i%len(keys)]
		id, _ := peer.IDFromPrivateKey(k)
		raw, _, err := SignTest(k, TestBody{Workgroup: "wg", Room: "general", Kind: KindText, Text: fmt.Sprint("m", i), Author: id, Seq: 1, HLC: uint64(i + 1)}, bad[i])
		if err != nil {
			t.Fatal(err)
		}
		m, sm, err := parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		ms, sigs = append(ms, m), append(sigs, sm)
	}
	return ms, sigs
}

// verifyBatch and verifyParallel give each message its own check's
// verdict: nil when all verify; else exactly the bad ones fail, wherever
// they stand (first, last, across batch and worker boundaries), and the
// good ones pass.
func TestVerifyBatchFindsTheBadOnes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		n   int
		bad []int
	}{
		{1, nil}, {1, []int{0}}, {2, []int{1}}, {8, nil}, {8, []int{0, 7}},
		{64, []int{63}}, {65, []int{64}}, {200, nil}, {200, []int{0, 63, 64, 100, 199}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.n, tc.bad), func(t *testing.T) {
			bad := map[int]bool{}
			for _, i := range tc.bad {
				bad[i] = true
			}
			ms, sigs := signedSet(t, tc.n, bad)
			s := &Service{}
			for name, verify := range map[string]func([]*msg, []signed) []error{"batch": s.verifyBatch, "parallel": s.verifyParallel} {
				errs := verify(ms, sigs)
				if len(bad) == 0 {
					if errs != nil {
						t.Fatalf("%s: %v for good signatures", name, errs)
					}
					continue
				}
				for i := range ms {
					want := ms[i].verify(sigs[i]) // the single check's verdict
					if (errs[i] != nil) != bad[i] || (want != nil) != bad[i] {
						t.Fatalf("%s: message %d: batch %v, single %v, bad %v", name, i, errs[i], want, bad[i])
					}
					if bad[i] && !errors.Is(errs[i], errBadMessage) {
						t.Fatalf("%s: message %d: %v, want errBadMessage", name, i, errs[i])
					}
				}
			}
			if got := s.work.verify.Load(); got != uint64(2*tc.n) {
				t.Fatalf("counted %d verifications, want %d", got, 2*tc.n)
			}
		})
	}
}

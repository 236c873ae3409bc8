package chat

import (
	"runtime"
	"sync"

	"github.com/peerhood/peerhood/internal/identity"
)

// verifyBatch checks the signatures of ms (sigs[i] is ms[i]'s, as parse
// returned it) together, in batches of up to verifyBatchMax
// (identity.Batch: ZIP-215's rules, the verdict of each message's own
// check at about half its cost from 8 messages up), counting them. It
// returns nil when all verify, else one error per message (nil for
// those that verify).
func (s *Service) verifyBatch(ms []*msg, sigs []signed) []error {
	s.work.verify.Add(uint64(len(ms)))
	if len(ms) == 1 {
		if err := ms[0].verify(sigs[0]); err != nil {
			return []error{err}
		}
		return nil
	}
	var errs []error
	for lo := 0; lo < len(ms); lo += verifyBatchMax {
		hi := min(lo+verifyBatchMax, len(ms))
		errs = verifyChunk(ms[lo:hi], sigs[lo:hi], errs, lo, len(ms))
	}
	return errs
}

// verifyBatchMax bounds one batch: past 32 signatures a batch saves
// little more per signature (BenchmarkVerifyBatch), and one bad
// signature makes the batch check each of them alone.
const verifyBatchMax = 64

// verifyChunk verifies ms in one batch, writing failures to errs (made
// of length n on the first failure) at offset lo.
func verifyChunk(ms []*msg, sigs []signed, errs []error, lo, n int) []error {
	size := 0
	for _, sm := range sigs {
		size += len(signDomain) + len(sm.Body)
	}
	arena := make([]byte, 0, size) // the signed bytes, read at Verify
	var b identity.Batch
	for i, m := range ms {
		start := len(arena)
		arena = append(append(arena, signDomain...), sigs[i].Body...)
		b.Add(m.author(), arena[start:], sigs[i].Sig)
	}
	ok, kerrs := b.Verify()
	for i := range ms {
		if err := verdict(ok[i], kerrs[i]); err != nil {
			if errs == nil {
				errs = make([]error, n)
			}
			errs[lo+i] = err
		}
	}
	return errs
}

// verifyParallel is verifyBatch spread over every core (a returning
// member's catch-up is mostly verification), for batches of 64 or more.
func (s *Service) verifyParallel(ms []*msg, sigs []signed) []error {
	workers := min(runtime.GOMAXPROCS(0), (len(ms)+verifyBatchMax-1)/verifyBatchMax)
	if workers <= 1 {
		return s.verifyBatch(ms, sigs)
	}
	per := (len(ms) + workers - 1) / workers
	parts := make([][]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(ms))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[w] = s.verifyBatch(ms[lo:hi], sigs[lo:hi])
		}()
	}
	wg.Wait()
	var errs []error
	for w, part := range parts {
		for i, err := range part {
			if err != nil {
				if errs == nil {
					errs = make([]error, len(ms))
				}
				errs[w*per+i] = err
			}
		}
	}
	return errs
}

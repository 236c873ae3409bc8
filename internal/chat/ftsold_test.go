package chat

import "context"

// indexBatchOneMark is the indexer's transaction before chat/0006 (one
// mark, chat_index_mark, for chat_fts, chat_ids and chat_chain): the
// migration tests write databases of chat schema 4 and 5 with it, and
// BenchmarkFTSBurst runs it as the baseline (on a schema-6 database it
// leaves chat_fts_mark behind, which the baseline never reads). It is
// indexBatchIDs (ftsids_test.go) with the runs chat_ids has.
func (s *Service) indexBatchOneMark(ctx context.Context, limit int) (int, error) {
	n, err := indexBatchIDs(idRunShift)(s, ctx, limit)
	if err != nil {
		return 0, err
	}
	return n, nil
}

package chat

// Reads of an author's chain. chat_messages has no chain index (migration
// chat/0003): an index on (workgroup, log, author, seq) put each author's
// entries on a leaf of their own, so a commit of messages from k authors
// dirtied k leaves (at 20 members about one page per message: half the
// writer's cost after the ID index had gone). The chain index is
// chat_chain, written by the chat indexer with the full-text index and
// chat_ids (fts.go), and a read takes the indexed part and the rows above
// chat_index_mark.upto (the tail the indexer has not reached: at most
// a slice (idsSlice) and a write batch under load, scanned by rowid).
//
// Exactly once is the writer's: it decides each message from the author's
// tip (tips.go) or from these reads, under storeMu, the only writer of
// chat_messages; chat_chain's primary key refuses a second row at a place
// of a chain when it is indexed (a bug would stop the indexer, loudly).

// chainTail is the condition selecting the rows the indexer has not
// reached. The conditions beside it on workgroup and log are written
// +workgroup, +log: without them SQLite would search the order index for
// the whole log instead of the rowid range.
const chainTail = `rowid > (SELECT upto FROM chat_index_mark)`

// chainRows selects the rowids of an author's chain entries in a log
// whose seq satisfies cond (a condition on seq); its arguments are
// chainArgs.
func chainRows(cond string) string {
	return `rowid IN (SELECT msg FROM chat_chain WHERE workgroup=? AND log=? AND author=? AND ` + cond + `
		UNION ALL SELECT rowid FROM chat_messages WHERE ` + chainTail + ` AND +workgroup=? AND +log=? AND author=? AND ` + cond + `)`
}

// chainArgs are chainRows's arguments: the chain and cond's arguments.
func chainArgs(wg, log, author string, cond ...any) []any {
	out := make([]any, 0, 6+2*len(cond))
	out = append(out, wg, log, author)
	out = append(out, cond...)
	out = append(out, wg, log, author)
	return append(out, cond...)
}

// lastOfChain selects an author's last message in a log (seq, id); its
// arguments are chainArgs(wg, log, author).
const lastOfChain = `SELECT seq, id FROM chat_messages WHERE rowid IN (
		SELECT msg FROM (SELECT msg FROM chat_chain WHERE workgroup=? AND log=? AND author=? ORDER BY seq DESC LIMIT 1)
		UNION ALL SELECT rowid FROM chat_messages WHERE ` + chainTail + ` AND +workgroup=? AND +log=? AND author=?)
	ORDER BY seq DESC LIMIT 1`

// headsOfLog selects each author's highest seq in a log (author,
// max(seq)); arguments: wg, log, wg, log.
const headsOfLog = `SELECT author, max(seq) AS seq FROM (
		SELECT author, max(seq) AS seq FROM chat_chain WHERE workgroup=? AND log=? GROUP BY author
		UNION ALL SELECT author, seq FROM chat_messages WHERE ` + chainTail + ` AND +workgroup=? AND +log=?)
	GROUP BY author`

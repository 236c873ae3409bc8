package chat

// Lookups by message ID. chat_messages has no index on id (migration
// chat/0003: a random 64-character key dirtied one B-tree page per stored
// message, the largest share of the writer's commit). The chat indexer
// writes chat_ids (the ID's first 16 hex digits and the row) with the
// full-text index, out of the busy period; the rows it has not reached
// yet (above chat_index_mark.upto: at most a slice (idsSlice) and a write batch
// under load) are scanned. The ID itself is compared on every row found,
// so the 16-digit key only narrows the search.
//
// chat_ids is keyed by (run, k, msg), run = rowid >> idRunShift
// (migration chat/0004): the indexer's rows land on the leaves of the
// newest run, not one random leaf each; a lookup seeks the prefix in
// every run, from the first to the last (a recursive CTE: one seek per
// 4,096 messages stored).

// idRunShift: a run of chat_ids is 1 << idRunShift consecutive rowids
// (the 12 of migration chat/0004's trigger and copy).
const idRunShift = 12

// idPrefixWhere selects the chat_messages rows whose ID starts with a
// prefix of hexadecimal digits; idPrefixArgs gives its arguments.
const idPrefixWhere = `id >= ? AND id < ? AND rowid IN (
	WITH RECURSIVE runs(r) AS (SELECT min(run) FROM chat_ids UNION ALL SELECT r + 1 FROM runs WHERE r < (SELECT max(run) FROM chat_ids))
	SELECT msg FROM runs CROSS JOIN chat_ids WHERE run = r AND k >= ? AND k < ?
	UNION ALL SELECT rowid FROM chat_messages WHERE rowid > (SELECT upto FROM chat_index_mark))`

// idKeyLen is how many hex digits of an ID chat_ids keeps.
const idKeyLen = 16

// idPrefixArgs are idPrefixWhere's arguments for prefix p (lower-case
// hex; a whole ID selects that message).
func idPrefixArgs(p string) []any {
	k := p[:min(idKeyLen, len(p))]
	return []any{p, p + "g", k, k + "g"}
}

package chat

// Lookups by message ID. chat_messages has no index on id (migration
// chat/0003: a random 64-character key dirtied one B-tree page per stored
// message, the largest share of the writer's commit). The chat indexer
// writes chat_ids (the ID's first 16 hex digits and the row) with the
// full-text index, out of the busy period; the rows it has not reached
// yet (above chat_index_mark.upto: at most a slice (ftsSlice) and a write batch
// under load) are scanned. The ID itself is compared on every row found,
// so the 16-digit key only narrows the search.

// idPrefixWhere selects the chat_messages rows whose ID starts with a
// prefix of hexadecimal digits; idPrefixArgs gives its arguments.
const idPrefixWhere = `id >= ? AND id < ? AND rowid IN (SELECT msg FROM chat_ids WHERE k >= ? AND k < ?
	UNION ALL SELECT rowid FROM chat_messages WHERE rowid > (SELECT upto FROM chat_index_mark))`

// idKeyLen is how many hex digits of an ID chat_ids keeps.
const idKeyLen = 16

// idPrefixArgs are idPrefixWhere's arguments for prefix p (lower-case
// hex; a whole ID selects that message).
func idPrefixArgs(p string) []any {
	k := p[:min(idKeyLen, len(p))]
	return []any{p, p + "g", k, k + "g"}
}

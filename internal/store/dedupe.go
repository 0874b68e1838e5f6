package store

// dedupe keeps one row per key, in the order keys first appear. A later copy
// replaces the kept one when replace says so (nil: always, the last copy
// wins). Amazon's lists should not repeat an entity, but one batch statement
// must not see a key twice: ON CONFLICT cannot change the same row twice in
// one command.
func dedupe[R any, K comparable](rows []R, key func(*R) K, replace func(kept, later *R) bool) []R {
	out := make([]R, 0, len(rows))
	at := make(map[K]int, len(rows))
	for i := range rows {
		k := key(&rows[i])
		j, dup := at[k]
		if !dup {
			at[k] = len(out)
			out = append(out, rows[i])
			continue
		}
		later := rows[i] // replace may change it; rows stay as given
		if replace == nil || replace(&out[j], &later) {
			out[j] = later
		}
	}
	return out
}

package idempotency

import "slices"

// v8Sort sorts a as V8's Array.prototype.sort does with deepSort's
// comparator, (a, b) => (lower(a) < lower(b) ? -1 : 1), given here as
// less. The comparator is not consistent (two keys equal but for case
// compare greater both ways round), but V8's TimSort only ever asks
// whether an element is less than another (binary insertion puts a pivot
// after the elements it is not less than, runs break on "less", merges and
// gallops take from the left run unless the right element is less), so
// keys equal but for case keep their order: V8's result is the stable sort
// by lower(key). testdata/golden_ts.json checks this on random objects.
func v8Sort(a []int, less func(x, y int) bool) {
	slices.SortStableFunc(a, func(x, y int) int {
		switch {
		case less(x, y):
			return -1
		case less(y, x):
			return 1
		}
		return 0
	})
}

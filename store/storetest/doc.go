// Package storetest provides the conformance suite for store.Store
// implementations. A backend's test file supplies a [Harness] and calls
// [Run]:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			New:              func(t *testing.T) store.Store { return newTestStore(t) },
//			MaxResponseBytes: 350 << 10,
//		})
//	}
//
// Every case is a subtest named after the behaviour it checks. Cases use a
// fresh random key each, so backends may share one table or database between
// subtests and between runs. Times are offsets from time.Now(), and every
// record the suite writes expires about an hour or more after the real time it is
// written (a server-side TTL must not remove it under the suite's feet);
// "later" calls pass a caller time in the future instead of sleeping. Records
// with past expiries are only offered to Claim to be rejected as invalid.
package storetest

// Package storetest is the conformance suite every store.Store
// implementation passes. A driver's test calls Run with a factory that opens
// a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { … },
//			storetest.WithShared(…),  // n stores on one database: cross-process races
//			storetest.WithRawDump(…), // raw database bytes: no plaintext at rest
//		)
//	}
//
// It covers every method, the extension state machine (including the
// transitions it must refuse), workspace and namespace isolation (every
// read and write retried with another workspace's id must be ErrNotFound
// and change nothing), token expiry at caller-given times and revocation,
// audit chain appends (ordering, link checks, N concurrent appenders in one
// process and across several stores), transactions and cascades. It never
// sleeps. BenchListExtensions and BenchLookupAPIKey are the hot read paths
// the drivers benchmark.
package storetest

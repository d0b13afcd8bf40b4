// Command mklayer writes a Lambda layer zip reproducibly: the same input
// files always give the same bytes.
//
//	go run ./internal/cmd/mklayer -o dist/idemproxy-layer-x86_64.zip [-max-bytes N] NAME=PATH...
//
// Each NAME=PATH argument adds the file at PATH as the zip entry NAME (a
// slash-separated path such as extensions/idemproxy). Every entry gets mode
// 0755 and the fixed timestamp 1980-01-01 00:00:00 UTC; entries are sorted by
// name and there are no directory entries, so the zip holds exactly the
// files named and depends on nothing but their contents. The zip is written
// to a temporary file and renamed into place. mklayer prints the size of
// every entry and of the zip, and fails when a file is larger than
// -max-bytes.
package main

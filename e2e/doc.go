// Package e2e holds the end-to-end tests of idemproxy: the extension runs on
// AWS's Runtime Interface Emulator in front of real Go (aws-lambda-go) and
// Python (awslambdaric) handlers, and every test compares what the caller
// gets with and without the extension.
//
// Run them with `go test ./e2e/` (the Python cases need the virtualenv:
// `make venv`). LAMBDATEST_LOGS=1 with -v prints every emulator's output.
package e2e

// Package lambdatest runs Lambda functions locally on AWS's Runtime Interface
// Emulator (RIE), with or without the idemproxy extension, for end-to-end
// tests and demonstrations.
//
// Build compiles the emulator, the extension and the Go test handler once;
// Start launches one emulator in a private mount and PID namespace (a private
// /opt holds the extension and its wrapper, so the real /opt is never
// touched, and every process of the emulator dies with it); Invoke sends an
// invocation the way the Lambda Invoke API would.
//
// The core API takes a context and returns errors so that programs (the demo)
// can use it; helpers taking a testing.TB are thin wrappers on top.
//
// The test handlers live in testhandlers/gohandler (aws-lambda-go) and
// testhandlers/python (awslambdaric). Both implement the same behaviours,
// selected by the "action" field of the event; see Event.
package lambdatest

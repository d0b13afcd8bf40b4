// Package extension is a client for the AWS Lambda Extensions API
// (2020-01-01): register, the event/next long poll, and the init and exit
// error reports. See
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html.
//
// The package knows nothing of the proxy or of idempotency; main wires it.
package extension

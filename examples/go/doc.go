// Command handler (examples/go) is an ordinary Lambda handler behind a
// function URL, for the provided.al2023 runtime, with no idempotency code.
//
// OS-only runtimes ignore AWS_LAMBDA_EXEC_WRAPPER, so the executable is
// shipped as "handler" (the function's Handler setting), not "bootstrap":
// Lambda then runs the layer's /opt/bootstrap, which starts it through the
// idemproxy wrapper. Every real execution returns a new executionId, so a
// replayed response is easy to spot: same body, same executionId.
package main

// Package shiptest checks what idemproxy ships to users: the SAM template
// (template.yaml), the Lambda layer zips built by `make layer` and by SAM's
// makefile build targets, and the example handlers in examples/.
//
// No SAM CLI is needed: the template is parsed with its CloudFormation
// short-form tags (!Ref, !GetAtt, !Sub ...) by [ParseTemplate], SAM's Globals
// are merged into each function by [Template.Function], and
// [Template.CheckReferences] verifies that every reference resolves to a
// parameter, a resource (including those SAM generates, such as a
// function's URL) or a pseudo parameter. The tests then check the resources
// against what idemproxy needs, build the layers and inspect the zips and
// binaries, and run the examples behind the extension on AWS's Runtime
// Interface Emulator (internal/lambdatest).
package shiptest

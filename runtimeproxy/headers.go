package runtimeproxy

// Header names of the Lambda Runtime API.
const (
	HeaderRequestID          = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadlineMs         = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionArn        = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID            = "Lambda-Runtime-Trace-Id"
	HeaderClientContext      = "Lambda-Runtime-Client-Context"
	HeaderCognitoIdentity    = "Lambda-Runtime-Cognito-Identity"
	HeaderTenantID           = "Lambda-Runtime-Aws-Tenant-Id"
	HeaderFunctionErrorType  = "Lambda-Runtime-Function-Error-Type"
	HeaderFunctionErrorBody  = "Lambda-Runtime-Function-Error-Body"
	HeaderXRayErrorCause     = "Lambda-Runtime-Function-Xray-Error-Cause"
	HeaderResponseMode       = "Lambda-Runtime-Function-Response-Mode"
	ResponseModeStreaming    = "streaming"
	headerContentType        = "Content-Type"
	headerContentLength      = "Content-Length"
	contentTypeJSON          = "application/json"
	runtimeAPIVersionPrefix  = "/2018-06-01/runtime/"
	pathInvocationNext       = "/2018-06-01/runtime/invocation/next"
	pathInvocationPrefix     = "/2018-06-01/runtime/invocation/"
	invocationResponseSuffix = "/response"
	invocationErrorSuffix    = "/error"
)

// hopHeaders are removed when forwarding in either direction (RFC 9110 7.6.1),
// as net/http/httputil.ReverseProxy does.
var hopHeaders = [...]string{
	"Connection",
	"Proxy-Connection",
	"Keep-Alive",
	"Proxy-Authenticate",
	"Proxy-Authorization",
	"Te",
	"Trailer",
	"Transfer-Encoding",
	"Upgrade",
}

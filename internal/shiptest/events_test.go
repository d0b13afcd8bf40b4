package shiptest

import "encoding/json"

// functionURLEvent returns a function URL (payload format 2.0) event for a
// POST with a JSON body.
func functionURLEvent(body, requestID string) []byte {
	ev := map[string]any{
		"version":         "2.0",
		"routeKey":        "$default",
		"rawPath":         "/",
		"rawQueryString":  "",
		"headers":         map[string]string{"content-type": "application/json", "host": "example.lambda-url.eu-west-1.on.aws"},
		"isBase64Encoded": false,
		"body":            body,
		"requestContext": map[string]any{
			"accountId":  "anonymous",
			"apiId":      "example",
			"domainName": "example.lambda-url.eu-west-1.on.aws",
			"requestId":  requestID,
			"routeKey":   "$default",
			"stage":      "$default",
			"time":       "26/Nov/2026:16:40:00 +0000",
			"timeEpoch":  1795711200000 + len(requestID),
			"http":       map[string]string{"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "curl/8"},
		},
	}
	// A map of strings and numbers always marshals.
	data, _ := json.Marshal(ev)
	return data
}

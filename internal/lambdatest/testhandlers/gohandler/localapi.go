package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
)

// localCallResult is one answer of the local idempotency API.
type localCallResult struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// callLocalAPI runs the steps of ActionLocalAPI against the proxy the
// runtime talks to.
func callLocalAPI(ctx context.Context, calls []lambdatest.LocalCall, requestID string) ([]localCallResult, error) {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/idemproxy/v1/"
	client := &http.Client{Timeout: 10 * time.Second}
	token := ""
	out := make([]localCallResult, 0, len(calls))
	for _, c := range calls {
		if c.SleepMs > 0 {
			time.Sleep(time.Duration(c.SleepMs) * time.Millisecond)
		}
		body := strings.NewReplacer("$TOKEN", token, "$REQUEST_ID", requestID).Replace(string(c.Body))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+c.Path, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("local API %s: %w", c.Path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		var answer struct {
			Token string `json:"token"`
		}
		if json.Unmarshal(b, &answer) == nil && answer.Token != "" {
			token = answer.Token
		}
		out = append(out, localCallResult{Status: resp.StatusCode, Body: json.RawMessage(bytes.TrimSpace(b))})
	}
	return out, nil
}

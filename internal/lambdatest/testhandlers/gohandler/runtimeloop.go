package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Runtime API headers of the streaming runtime loop.
const (
	headerRequestID    = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline     = "Lambda-Runtime-Deadline-Ms"
	headerResponseMode = "Lambda-Runtime-Function-Response-Mode"
	headerErrorType    = "Lambda-Runtime-Function-Error-Type"
	headerErrorBody    = "Lambda-Runtime-Function-Error-Body"
)

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// runStreamingRuntime is the handler's runtime loop with
// HANDLER_RESPONSE_STREAMING=1: a minimal custom runtime that sends io.Reader
// results as streamed responses, as Lambda's Node.js runtime sends those of
// streamifyResponse handlers (aws-lambda-go sets no response mode): header
// Lambda-Runtime-Function-Response-Mode: streaming, chunked encoding, the
// content type of the result, and an error mid-stream in the
// Lambda-Runtime-Function-Error-Type and -Body trailers. Other results are
// sent as JSON, errors to /error. It never returns.
func runStreamingRuntime(h *handler) {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	client := &http.Client{}
	for {
		if err := streamingInvoke(client, base, h); err != nil {
			fmt.Fprintln(os.Stderr, "gohandler: streaming runtime:", err)
			os.Exit(5)
		}
	}
}

// streamingInvoke gets the next event, runs the handler and posts its result.
func streamingInvoke(client *http.Client, base string, h *handler) error {
	resp, err := client.Get(base + "next")
	if err != nil {
		return err
	}
	payload, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("next: status %d", resp.StatusCode)
	}
	id := resp.Header.Get(headerRequestID)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: id})
	if ms, err := strconv.ParseInt(resp.Header.Get(headerDeadline), 10, 64); err == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(ms))
		defer cancel()
	}
	out, herr := h.handle(ctx, payload)
	if herr != nil {
		req, _ := http.NewRequest(http.MethodPost, base+id+"/error", bytes.NewReader(errorJSON(herr)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(headerErrorType, errorType(herr))
		return post(client, req)
	}
	if r, ok := out.(io.Reader); ok {
		return postStream(client, base+id+"/response", r)
	}
	body, err := jsonBody(out)
	if err != nil {
		return err
	}
	req, _ := http.NewRequest(http.MethodPost, base+id+"/response", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return post(client, req)
}

// postStream sends r as a streamed response.
func postStream(client *http.Client, url string, r io.Reader) error {
	trailer := http.Header{headerErrorType: nil, headerErrorBody: nil}
	req, err := http.NewRequest(http.MethodPost, url, &trailerReader{r: r, trailer: trailer})
	if err != nil {
		return err
	}
	contentType := "application/octet-stream"
	if ct, ok := r.(interface{ ContentType() string }); ok {
		contentType = ct.ContentType()
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set(headerResponseMode, "streaming")
	req.ContentLength = -1
	req.TransferEncoding = []string{"chunked"}
	req.Trailer = trailer
	return post(client, req)
}

// post sends req and requires 202 Accepted.
func post(client *http.Client, req *http.Request) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post %s: status %d", req.URL.Path, resp.StatusCode)
	}
	return nil
}

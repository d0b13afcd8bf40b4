package extension

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Header names of the Extensions API.
const (
	HeaderName              = "Lambda-Extension-Name"
	HeaderIdentifier        = "Lambda-Extension-Identifier"
	HeaderFunctionErrorType = "Lambda-Extension-Function-Error-Type"
	HeaderAcceptFeature     = "Lambda-Extension-Accept-Feature"
	apiPrefix               = "/2020-01-01/extension"
)

// Client talks to the Extensions API of one execution environment.
type Client struct {
	base string
	http *http.Client
	id   string
}

// NewClient returns a client for the Extensions API at runtimeAPI, the
// host:port in AWS_LAMBDA_RUNTIME_API as the extension sees it.
func NewClient(runtimeAPI string) *Client {
	return &Client{
		base: "http://" + runtimeAPI + apiPrefix,
		// No timeout: /event/next blocks until the next event, across freezes.
		http: &http.Client{Transport: &http.Transport{Proxy: nil, DisableCompression: true}},
	}
}

// ID returns the extension identifier obtained by Register.
func (c *Client) ID() string { return c.id }

// Register registers the extension named name (its executable's file name)
// for events.
func (c *Client) Register(ctx context.Context, name string, events ...EventType) (RegisterResponse, error) {
	if events == nil {
		events = []EventType{}
	}
	body, _ := json.Marshal(struct {
		Events []EventType `json:"events"`
	}{events})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/register", bytes.NewReader(body))
	if err != nil {
		return RegisterResponse{}, fmt.Errorf("extension: register: %w", err)
	}
	req.Header.Set(HeaderName, name)
	req.Header.Set(HeaderAcceptFeature, "accountId")
	req.Header.Set("Content-Type", "application/json")
	var out RegisterResponse
	resp, err := c.do(req, "register", &out)
	if err != nil {
		return RegisterResponse{}, err
	}
	c.id = resp.Header.Get(HeaderIdentifier)
	if c.id == "" {
		return RegisterResponse{}, &StatusError{Op: "register", StatusCode: resp.StatusCode, Body: "no " + HeaderIdentifier + " header"}
	}
	return out, nil
}

// Next blocks until the next event. It has no timeout, on purpose: the
// environment may be frozen for any time between events. ctx only lets the
// process abandon the poll.
func (c *Client) Next(ctx context.Context) (Event, error) {
	if c.id == "" {
		return Event{}, ErrNotRegistered
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/event/next", nil)
	if err != nil {
		return Event{}, fmt.Errorf("extension: next: %w", err)
	}
	req.Header.Set(HeaderIdentifier, c.id)
	var ev Event
	if _, err := c.do(req, "next", &ev); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// InitError reports a failed initialisation. errorType is Extension.<Reason>;
// message names the cause. Lambda fails the init phase; the caller exits.
func (c *Client) InitError(ctx context.Context, errorType, message string) error {
	return c.reportError(ctx, "init/error", errorType, message)
}

// ExitError reports an error before exiting.
func (c *Client) ExitError(ctx context.Context, errorType, message string) error {
	return c.reportError(ctx, "exit/error", errorType, message)
}

func (c *Client) reportError(ctx context.Context, op, errorType, message string) error {
	if c.id == "" {
		return ErrNotRegistered
	}
	body, _ := json.Marshal(struct {
		ErrorMessage string   `json:"errorMessage"`
		ErrorType    string   `json:"errorType"`
		StackTrace   []string `json:"stackTrace"`
	}{message, errorType, []string{}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+op, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("extension: %s: %w", op, err)
	}
	req.Header.Set(HeaderIdentifier, c.id)
	req.Header.Set(HeaderFunctionErrorType, errorType)
	req.Header.Set("Content-Type", "application/json")
	_, err = c.do(req, op, nil)
	return err
}

// do sends req, checks for a 2xx status and decodes the body into out.
func (c *Client) do(req *http.Request, op string, out any) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("extension: %s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return resp, &StatusError{Op: op, StatusCode: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return resp, fmt.Errorf("extension: %s: decode: %w", op, err)
	}
	return resp, nil
}

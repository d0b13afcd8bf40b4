package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

// order is the request body.
type order struct {
	OrderID *string `json:"orderId"`
}

// result is the response body.
type result struct {
	Runtime     string  `json:"runtime"`
	OrderID     *string `json:"orderId"`
	ExecutionID string  `json:"executionId"`
	ExecutedAt  string  `json:"executedAt"`
}

// handle answers one function URL request with a fresh execution id.
func handle(_ context.Context, req events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	var o order
	if req.Body != "" {
		if err := json.Unmarshal([]byte(req.Body), &o); err != nil {
			return events.LambdaFunctionURLResponse{StatusCode: 400, Body: "body is not JSON"}, nil
		}
	}
	body, err := json.Marshal(result{
		Runtime:     "go",
		OrderID:     o.OrderID,
		ExecutionID: rand.Text(),
		ExecutedAt:  time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return events.LambdaFunctionURLResponse{}, err
	}
	return events.LambdaFunctionURLResponse{
		StatusCode: 200,
		Headers:    map[string]string{"content-type": "application/json"},
		Body:       string(body),
	}, nil
}

func main() {
	lambda.Start(handle)
}

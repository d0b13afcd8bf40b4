package e2e

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/store"
)

// TestDynamoDBCompressedResponse: a 2 MB compressible JSON response, five
// times DynamoDB's item limit, is stored gzip-compressed in a binary
// attribute (default threshold) and replayed byte-identical.
func TestDynamoDBCompressedResponse(t *testing.T) {
	t.Parallel()
	endpoint, client := startDynamo(t)
	emu := startIdempotent(t, options(t, goRuntime), dynamoEnv(endpoint)...)
	count := filepath.Join(t.TempDir(), "runs")
	const size = 2 << 20
	event := lambdatest.Event{Action: lambdatest.ActionBig, Size: size, CountFile: count,
		Data: json.RawMessage(`{"order":"big","amount":1}`)}.JSON()

	first := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("big-1"))
	var got struct{ Data string }
	if err := json.Unmarshal(first.Body, &got); err != nil || len(got.Data) != size {
		t.Fatalf("first response: %d bytes (%v)", len(first.Body), err)
	}
	second := lambdatest.InvokeT(t, emu, event, lambdatest.WithRequestID("big-2"))
	if !bytes.Equal(first.Body, second.Body) || executions(t, count) != 1 {
		t.Fatalf("%d executions; replay of %d bytes equal: %v", executions(t, count), len(second.Body), bytes.Equal(first.Body, second.Body))
	}

	items := scan(t, client)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	it := items[0]
	if enc, _ := it["idemproxy_encoding"].(*types.AttributeValueMemberS); enc == nil || enc.Value != "gzip" {
		t.Fatalf("idemproxy_encoding = %v, want gzip", it["idemproxy_encoding"])
	}
	data, ok := it["data"].(*types.AttributeValueMemberB)
	if !ok {
		t.Fatalf("data is %T, want a binary attribute", it["data"])
	}
	if len(data.Value) > 400<<10 {
		t.Errorf("compressed data of %d bytes", len(data.Value))
	}
	raw, err := store.Decompress(data.Value)
	if err != nil || !bytes.Equal(raw, first.Body) {
		t.Errorf("stored data does not inflate to the response (%v)", err)
	}
	if n := executions(t, count); n != 1 {
		t.Errorf("%d executions", n)
	}
}

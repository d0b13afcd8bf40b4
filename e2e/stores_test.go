package e2e

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	goredis "github.com/redis/go-redis/v9"

	"github.com/idemproxy/idemproxy/internal/lambdatest"
	"github.com/idemproxy/idemproxy/internal/testservers"
)

// md5hex is an independent oracle for keys of simple selections: the
// canonical JSON of the string "A" is "\"A\"", of the number 10 is "10".
func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// pythonPrefix is idemproxy's key prefix for the awslambdaric handler
// "app.handler" of the emulator's function "test_function", which is also
// Powertools Python's default prefix for app.handler.
const pythonPrefix = "test_function.app.handler"

func startDynamo(t *testing.T) (endpoint string, client *ddb.Client) {
	t.Helper()
	p, err := testservers.StartDynalite(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	endpoint = testservers.Endpoint(p)
	if err := testservers.CreateTable(t.Context(), endpoint, "idem", "id", ""); err != nil {
		t.Fatal(err)
	}
	return endpoint, testservers.DynamoClient(endpoint)
}

func dynamoEnv(endpoint string) []string {
	return []string{
		"IDEMPOTENCY_TABLE_NAME=idem",
		"IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order",
		"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH=data.amount",
		"AWS_ENDPOINT_URL_DYNAMODB=" + endpoint,
		"AWS_REGION=" + testservers.Region,
		"AWS_DEFAULT_REGION=" + testservers.Region,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
	}
}

func scan(t *testing.T, c *ddb.Client) []map[string]types.AttributeValue {
	t.Helper()
	out, err := c.Scan(t.Context(), &ddb.ScanInput{TableName: aws.String("idem"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

func TestDynamoDBStore(t *testing.T) {
	endpoint, client := startDynamo(t)
	emu := startIdempotent(t, options(t, pythonRuntime), dynamoEnv(endpoint)...)
	count := filepath.Join(t.TempDir(), "runs")
	start := time.Now()

	first := lambdatest.InvokeT(t, emu, order("echo", "A", 10, count))
	decode(t, first)
	second := lambdatest.InvokeT(t, emu, order("echo", "A", 10, count))
	if !bytes.Equal(first.Body, second.Body) || executions(t, count) != 1 {
		t.Fatalf("duplicate on DynamoDB: %d executions; %q vs %q", executions(t, count), first.Body, second.Body)
	}

	items := scan(t, client)
	if len(items) != 1 {
		t.Fatalf("%d items, want 1", len(items))
	}
	item := items[0]
	str := func(name string) string {
		v, ok := item[name].(*types.AttributeValueMemberS)
		if !ok {
			t.Fatalf("attribute %s is %T, want S", name, item[name])
		}
		return v.Value
	}
	num := func(name string) int64 {
		v, ok := item[name].(*types.AttributeValueMemberN)
		if !ok {
			t.Fatalf("attribute %s is %T, want N", name, item[name])
		}
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if got, want := str("id"), pythonPrefix+"#"+md5hex(`"A"`); got != want {
		t.Errorf("id = %q, want %q", got, want)
	}
	if got := str("status"); got != "COMPLETED" {
		t.Errorf("status = %q", got)
	}
	if got := str("data"); got != string(first.Body) {
		t.Errorf("data = %q, want the response %q", got, first.Body)
	}
	if got, want := str("validation"), md5hex("10"); got != want {
		t.Errorf("validation = %q, want %q", got, want)
	}
	if exp := num("expiration"); exp < start.Add(time.Hour).Unix()-1 || exp > time.Now().Add(time.Hour).Unix()+1 {
		t.Errorf("expiration = %d: want epoch seconds one hour from now", exp)
	}
	// In-progress expiry: the invocation's deadline in epoch ms (300 s timeout by default).
	if ipe := num("in_progress_expiration"); ipe < start.Add(299*time.Second).UnixMilli() || ipe > time.Now().Add(301*time.Second).UnixMilli() {
		t.Errorf("in_progress_expiration = %d: want the deadline in epoch ms", ipe)
	}
	if str("idemproxy_owner") == "" {
		t.Error("no owner token")
	}
	for name := range item {
		switch name {
		case "id", "status", "data", "validation", "expiration", "in_progress_expiration", "idemproxy_owner", "idemproxy_content_type":
		default:
			t.Errorf("unexpected attribute %s", name)
		}
	}

	// The Go handler works on DynamoDB too (its own key prefix).
	goEmu := startIdempotent(t, options(t, goRuntime), dynamoEnv(endpoint)...)
	goCount := filepath.Join(t.TempDir(), "go-runs")
	g1 := lambdatest.InvokeT(t, goEmu, order("echo", "G", 1, goCount))
	g2 := lambdatest.InvokeT(t, goEmu, order("echo", "G", 1, goCount))
	if decode(t, g1); !bytes.Equal(g1.Body, g2.Body) || executions(t, goCount) != 1 {
		t.Fatalf("Go handler on DynamoDB: %d executions", executions(t, goCount))
	}
}

// powertools runs the Powertools-decorated handler once on event.
func powertools(t *testing.T, endpoint string, event []byte) (returned json.RawMessage, stored string) {
	t.Helper()
	python := filepath.Join(art.RepoRoot, ".venv", "bin", "python")
	cmd := exec.CommandContext(t.Context(), python, "run.py")
	cmd.Dir = filepath.Join(art.RepoRoot, "e2e", "testdata", "powertools")
	cmd.Env = append(cmd.Environ(), dynamoEnv(endpoint)...)
	cmd.Env = append(cmd.Env, "AWS_LAMBDA_FUNCTION_NAME=test_function", "POWERTOOLS_SERVICE_NAME=interop")
	cmd.Stdin = bytes.NewReader(event)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("powertools handler: %v\n%s", err, stderr)
	}
	var r struct {
		Returned json.RawMessage
		Stored   string
	}
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("powertools output %q: %v", out, err)
	}
	return r.Returned, r.Stored
}

func TestPowertoolsInteropOnDynamoDB(t *testing.T) {
	endpoint, _ := startDynamo(t)
	emu := startIdempotent(t, options(t, pythonRuntime), dynamoEnv(endpoint)...)
	count := filepath.Join(t.TempDir(), "runs")

	// Powertools runs first: idemproxy replays its record without running the handler.
	ev := order("echo", "P-1", 5, count)
	_, stored := powertools(t, endpoint, ev)
	if executions(t, count) != 1 {
		t.Fatal("the Powertools handler did not run")
	}
	res := lambdatest.InvokeT(t, emu, ev)
	if res.Status != 200 || string(res.Body) != stored || executions(t, count) != 1 {
		t.Fatalf("idemproxy on a Powertools record: %d %q (want %q), %d executions", res.Status, res.Body, stored, executions(t, count))
	}

	// idemproxy runs first: Powertools replays its record without running its function.
	ev = order("echo", "P-2", 5, count)
	res = lambdatest.InvokeT(t, emu, ev)
	decode(t, res)
	if executions(t, count) != 2 {
		t.Fatal("idemproxy's handler did not run")
	}
	returned, _ := powertools(t, endpoint, ev)
	if executions(t, count) != 2 {
		t.Fatal("Powertools ran its function on a record idemproxy wrote")
	}
	if !sameJSON(t, returned, res.Body) {
		t.Fatalf("Powertools returned %s, idemproxy's response was %s", returned, res.Body)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func TestRedisStore(t *testing.T) {
	p := testservers.MustStartRedis(t)
	env := []string{
		"IDEMPOTENCY_REDIS_URL=redis://" + p.Addr + "/0",
		"IDEMPOTENCY_EVENT_KEY_JMESPATH=data.order",
		"IDEMPOTENCY_PAYLOAD_VALIDATION_JMESPATH=data.amount",
		"IDEMPOTENCY_EXPIRES_AFTER_SECONDS=600",
	}
	emu := startIdempotent(t, options(t, pythonRuntime), env...)
	count := filepath.Join(t.TempDir(), "runs")
	first := lambdatest.InvokeT(t, emu, order("echo", "R", 7, count))
	decode(t, first)
	second := lambdatest.InvokeT(t, emu, order("echo", "R", 7, count))
	if !bytes.Equal(first.Body, second.Body) || executions(t, count) != 1 {
		t.Fatalf("duplicate on Redis: %d executions", executions(t, count))
	}

	rc := goredis.NewClient(&goredis.Options{Addr: p.Addr})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	key := pythonPrefix + "#" + md5hex(`"R"`)
	raw, err := rc.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatalf("GET %s: %v", key, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatalf("stored value is not JSON: %q", raw)
	}
	if rec["status"] != "COMPLETED" || rec["data"] != string(first.Body) || rec["validation"] != md5hex("7") {
		t.Errorf("stored record %s", raw)
	}
	exp, ok := rec["expiration"].(float64)
	if !ok {
		t.Fatalf("expiration %v", rec["expiration"])
	}
	if _, ok := rec["in_progress_expiration"].(float64); !ok {
		t.Errorf("in_progress_expiration %v", rec["in_progress_expiration"])
	}
	ttl, err := rc.PTTL(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	if until := time.Until(time.Unix(int64(exp), 0)); ttl < until-2*time.Second || ttl > until+2*time.Second {
		t.Errorf("TTL %v, record expires in %v", ttl, until)
	}
	if ttl < 590*time.Second || ttl > 601*time.Second {
		t.Errorf("TTL %v, want about IDEMPOTENCY_EXPIRES_AFTER_SECONDS=600", ttl)
	}
	if strings.TrimSpace(string(raw)) == "" {
		t.Error("empty record")
	}
}

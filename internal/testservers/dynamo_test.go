package testservers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TestDynamoServers starts each DynamoDB server, creates a table with a
// partition key and one with a sort key, and checks that items round-trip
// and that a failed condition is reported as such.
func TestDynamoServers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(context.Context) (*Process, error)
	}{
		{"dynalite", StartDynalite},
		{"moto", StartMoto},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := tc.start(t.Context())
			if err != nil {
				t.Fatalf("start %s: %v", tc.name, err)
			}
			t.Cleanup(func() { _ = p.Stop() })
			endpoint := Endpoint(p)
			client := DynamoClient(endpoint)
			for _, table := range []struct{ name, key, sort string }{
				{"simple", "id", ""},
				{"composite", "pk", "sk"},
			} {
				if err := CreateTable(t.Context(), endpoint, table.name, table.key, table.sort); err != nil {
					t.Fatalf("CreateTable(%s): %v\nserver output:\n%s", table.name, err, p.Output())
				}
				key := map[string]types.AttributeValue{table.key: &types.AttributeValueMemberS{Value: "k"}}
				if table.sort != "" {
					key[table.sort] = &types.AttributeValueMemberS{Value: "s"}
				}
				item := map[string]types.AttributeValue{"v": &types.AttributeValueMemberS{Value: "x"}}
				for name, v := range key {
					item[name] = v
				}
				put := &ddb.PutItemInput{
					TableName: aws.String(table.name), Item: item,
					ConditionExpression:      aws.String("attribute_not_exists(#k)"),
					ExpressionAttributeNames: map[string]string{"#k": table.key},
				}
				if _, err := client.PutItem(t.Context(), put); err != nil {
					t.Fatalf("%s: first PutItem: %v", table.name, err)
				}
				var ccf *types.ConditionalCheckFailedException
				if _, err := client.PutItem(t.Context(), put); !errors.As(err, &ccf) {
					t.Fatalf("%s: second PutItem: err = %v, want ConditionalCheckFailedException", table.name, err)
				}
				out, err := client.GetItem(t.Context(), &ddb.GetItemInput{
					TableName: aws.String(table.name), Key: key, ConsistentRead: aws.Bool(true),
				})
				if err != nil {
					t.Fatalf("%s: GetItem: %v", table.name, err)
				}
				if v, ok := out.Item["v"].(*types.AttributeValueMemberS); !ok || v.Value != "x" {
					t.Fatalf("%s: GetItem returned %#v, want v = x", table.name, out.Item)
				}
			}
			if err := p.Stop(); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := WaitPort(canceled(), p.Addr); err == nil {
				t.Errorf("%s still accepts connections after Stop", tc.name)
			}
		})
	}
}

// canceled returns a done context, so WaitPort tries exactly once.
func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestStartWithoutInstall checks that a missing install is reported with
// what to run, not as a bare "file not found".
func TestStartWithoutInstall(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/empty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for name, start := range map[string]func(context.Context) (*Process, error){
		"dynalite": StartDynalite, "moto": StartMoto,
	} {
		p, err := start(t.Context())
		if err == nil {
			_ = p.Stop()
			t.Fatalf("%s started from an empty module", name)
		}
		if !strings.Contains(err.Error(), "make deps") {
			t.Errorf("%s: err = %v, want it to say to run `make deps`", name, err)
		}
	}
}

package testservers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Region is the region tests use with the local DynamoDB servers.
const Region = "us-east-1"

// Credentials returns the dummy credentials the local DynamoDB servers
// accept.
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("test", "test", "")
}

// StartDynalite starts dynalite (an in-memory DynamoDB, from
// test/node_modules) on a free loopback port. Its tables are ACTIVE as soon
// as they are created.
func StartDynalite(ctx context.Context) (*Process, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(root, "test", "node_modules", "dynalite", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		return nil, fmt.Errorf("testservers: dynalite is not installed (%w): run `make deps` "+
			"(npm ci --prefix test)", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("testservers: dynalite needs Node.js: %w", err)
	}
	return startFree(ctx, node, 1, func(ports []int) []string {
		return []string{cli, "--host", "127.0.0.1", "--port", strconv.Itoa(ports[0]),
			"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0"}
	})
}

// motoSerial runs moto_server's main with requests served one at a time.
// Moto (5.2.5) checks a DynamoDB condition and writes the item without a
// lock, so under moto_server's threaded server two concurrent conditional
// PutItems of one key can both succeed (seen in the store tests: two
// winners of one claim). DynamoDB and dynalite apply writes to an item one
// at a time; a single-threaded moto does too.
const motoSerial = `import sys
import moto.server as server
run_simple = server.run_simple
def serial(*args, **kwargs):
    kwargs["threaded"] = False
    return run_simple(*args, **kwargs)
server.run_simple = serial
server.main(sys.argv[1:])
`

// StartMoto starts moto's server (from the .venv virtualenv) on a free
// loopback port, serving one request at a time (see motoSerial). Its
// DynamoDB, unlike dynalite, returns the old item of a failed conditional
// write (ReturnValuesOnConditionCheckFailure=ALL_OLD).
func StartMoto(ctx context.Context) (*Process, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	python := filepath.Join(root, ".venv", "bin", "python")
	if _, err := os.Stat(filepath.Join(root, ".venv", "bin", "moto_server")); err != nil {
		return nil, fmt.Errorf("testservers: moto is not installed (%w): run `make deps`", err)
	}
	return startFree(ctx, python, 1, func(ports []int) []string {
		return []string{"-c", motoSerial, "-H", "127.0.0.1", "-p", strconv.Itoa(ports[0])}
	})
}

// Endpoint returns p's base URL, for a DynamoDB client's BaseEndpoint.
func Endpoint(p *Process) string { return "http://" + p.Addr }

// DynamoClient returns a DynamoDB client for the local server at endpoint.
func DynamoClient(endpoint string) *ddb.Client {
	return ddb.New(ddb.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       Region,
		Credentials:  Credentials(),
	})
}

// CreateTable creates an on-demand table on the local server at endpoint,
// keyed by the string attribute keyAttr and, if sortKeyAttr is not "", the
// string sort key sortKeyAttr, and waits until it is ACTIVE.
func CreateTable(ctx context.Context, endpoint, table, keyAttr, sortKeyAttr string) error {
	in := &ddb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(keyAttr), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(keyAttr), KeyType: types.KeyTypeHash},
		},
	}
	if sortKeyAttr != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(sortKeyAttr), AttributeType: types.ScalarAttributeTypeS,
		})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{
			AttributeName: aws.String(sortKeyAttr), KeyType: types.KeyTypeRange,
		})
	}
	client := DynamoClient(endpoint)
	if _, err := client.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("testservers: create table %s: %w", table, err)
	}
	for {
		out, err := client.DescribeTable(ctx, &ddb.DescribeTableInput{TableName: aws.String(table)})
		if err != nil {
			return fmt.Errorf("testservers: describe table %s: %w", table, err)
		}
		if out.Table != nil && out.Table.TableStatus == types.TableStatusActive {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("testservers: table %s never became ACTIVE: %w", table, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

package dynamodb

import (
	"errors"
	"strings"
	"testing"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadOptionsDefaults(t *testing.T) {
	got, err := LoadOptions(env(map[string]string{"IDEMPOTENCY_TABLE_NAME": "idem"}), "my-fn")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{
		Table:                "idem",
		KeyAttr:              "id",
		StaticPKValue:        "idempotency#my-fn",
		ExpiryAttr:           "expiration",
		InProgressExpiryAttr: "in_progress_expiration",
		StatusAttr:           "status",
		DataAttr:             "data",
		ValidationAttr:       "validation",
	}
	if got != want {
		t.Errorf("LoadOptions = %+v, want %+v", got, want)
	}
}

func TestLoadOptionsEveryVariable(t *testing.T) {
	got, err := LoadOptions(env(map[string]string{
		"IDEMPOTENCY_TABLE_NAME":              "t",
		"IDEMPOTENCY_KEY_ATTR":                "pk",
		"IDEMPOTENCY_STATIC_PK_VALUE":         "static",
		"IDEMPOTENCY_SORT_KEY_ATTR":           "sk",
		"IDEMPOTENCY_EXPIRY_ATTR":             "exp",
		"IDEMPOTENCY_IN_PROGRESS_EXPIRY_ATTR": "ipe",
		"IDEMPOTENCY_STATUS_ATTR":             "st",
		"IDEMPOTENCY_DATA_ATTR":               "d",
		"IDEMPOTENCY_VALIDATION_KEY_ATTR":     "v",
	}), "ignored")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{"t", "pk", "static", "sk", "exp", "ipe", "st", "d", "v", 0}
	if got != want {
		t.Errorf("LoadOptions = %+v, want %+v", got, want)
	}
}

func TestLoadOptionsReportsEveryProblem(t *testing.T) {
	_, err := LoadOptions(env(map[string]string{
		"IDEMPOTENCY_KEY_ATTR":      "pk",
		"IDEMPOTENCY_SORT_KEY_ATTR": "pk",
		"IDEMPOTENCY_DATA_ATTR":     "status",
		"IDEMPOTENCY_STATUS_ATTR":   OwnerAttr,
	}), "fn")
	if !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("err = %v, want ErrInvalidOptions", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"IDEMPOTENCY_TABLE_NAME is required",
		`IDEMPOTENCY_SORT_KEY_ATTR "pk" equals the key attribute`,
		"IDEMPOTENCY_STATUS_ATTR is \"idemproxy_owner\"",
		// DataAttr "status" no longer collides: StatusAttr was renamed.
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if n := strings.Count(msg, "\n") + 1; n != 3 {
		t.Errorf("error reports %d problems, want 3:\n%s", n, msg)
	}
}

func TestValidateNamesFields(t *testing.T) {
	o := DefaultOptions("t", "")
	o.SortKeyAttr = "sk"
	o.StaticPKValue = ""
	o.DataAttr = "expiration"
	err := o.Validate()
	for _, want := range []string{
		"StaticPKValue is empty, but a sort key needs a partition key value",
		`DataAttr "expiration" is also used by ExpiryAttr`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
	if err := DefaultOptions("t", "").Validate(); err != nil {
		t.Errorf("defaults: Validate() = %v", err)
	}
	if _, err := New(nil, DefaultOptions("t", "")); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("New(nil client) err = %v, want ErrInvalidOptions", err)
	}
	if _, err := New(ddb.New(ddb.Options{Region: "us-east-1"}), o); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("New(invalid options) err = %v, want ErrInvalidOptions", err)
	}
}

package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/idemproxy/idemproxy/store"
)

// op names a store operation in errors.
type op string

const (
	opClaim    op = "claim"
	opGet      op = "get"
	opComplete op = "complete"
	opDelete   op = "delete"
)

// translate turns an error from the DynamoDB client into the store's
// vocabulary. It is the only place that classifies SDK errors:
//
//   - a failed condition means the record was live (claim) or not owned by
//     the caller (complete, delete): store.ErrAlreadyExists or
//     store.ErrNotOwner, with the SDK error (and its ALL_OLD item) still in
//     the chain;
//   - a ValidationException about the item size means store.ErrRecordTooLarge;
//   - once ctx is done, the error wraps ctx.Err() whatever the SDK made of
//     it, so errors.Is(err, context.Canceled) and
//     errors.Is(err, context.DeadlineExceeded) hold;
//   - anything else is wrapped with the operation and key.
func translate(ctx context.Context, o op, key string, err error) error {
	if err == nil {
		return nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		sentinel := store.ErrNotOwner
		if o == opClaim {
			sentinel = store.ErrAlreadyExists
		}
		return fmt.Errorf("dynamodb: %s %q: %w: %w", o, key, sentinel, err)
	}
	if isItemSizeError(err) {
		return fmt.Errorf("dynamodb: %s %q: %w: %w", o, key, store.ErrRecordTooLarge, err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("dynamodb: %s %q: %w: %w", o, key, ctxErr, err)
	}
	return fmt.Errorf("dynamodb: %s %q: %w", o, key, err)
}

// isItemSizeError reports the ValidationException DynamoDB returns for an
// item over 400 KB ("Item size has exceeded the maximum allowed size", or
// "Item size to update has exceeded ..." for UpdateItem).
func isItemSizeError(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" {
		return false
	}
	return strings.Contains(strings.ToLower(apiErr.ErrorMessage()), "item size")
}

// oldItem returns the item a failed conditional write reported with
// ReturnValuesOnConditionCheckFailure=ALL_OLD, or nil if the server sent
// none.
func oldItem(err error) item {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) && len(ccf.Item) > 0 {
		return ccf.Item
	}
	return nil
}

// ctxError reports an already-done ctx before any call is made.
func ctxError(ctx context.Context, o op, key string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("dynamodb: %s %q: %w", o, key, err)
	}
	return nil
}

package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/idemproxy/idemproxy/store"
)

// claimCondition is Powertools' lock condition, word for word. With a sort
// key it is the same: #id is the partition key attribute, which exists
// exactly when the item does.
const claimCondition = "attribute_not_exists(#id) OR #expiry < :now OR " +
	"(#status = :inprogress AND attribute_exists(#in_progress_expiry) AND #in_progress_expiry < :now_in_millis)"

// ownedCondition fences Complete and Delete: only the in-progress record of
// the caller's claim may be replaced or removed. A missing item fails it too.
const ownedCondition = "#status = :inprogress AND #owner = :owner"

// claimAttempts bounds the conditional puts of one Claim; see [Store.Claim].
const claimAttempts = 2

// Store is a store.Store on a DynamoDB table. It is safe for concurrent use.
type Store struct {
	client API
	opts   Options
	z      *store.Compressor
}

var _ store.Store = (*Store)(nil)

// New returns a Store using client on the table and attributes of opts,
// which must pass [Options.Validate]. It makes no call.
func New(client API, opts Options) (*Store, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidOptions)
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Store{client: client, opts: opts, z: opts.compressor()}, nil
}

// Options returns the options the Store was created with.
func (s *Store) Options() Options { return s.opts }

// Claim implements store.Store with one conditional PutItem carrying
// Powertools' condition and ReturnValuesOnConditionCheckFailure=ALL_OLD, so
// a duplicate costs one round trip when the server returns the blocking
// item. A server that does not (dynalite, older DynamoDB-compatible
// servers) costs one more: a consistent GetItem.
//
// That read may find no record, or one that is not live at now, when the
// blocking record was deleted, or replaced and deleted, between the two
// calls. The key may then be free, so Claim tries the put once more; if
// that fails the same way, it gives up with an error that wraps none of
// the store sentinels (a store failure to the caller, as Powertools'
// IdempotencyInconsistentStateError is after its retries). A blocking
// item that is not a readable record yields an error wrapping
// [ErrInvalidItem].
func (s *Store) Claim(ctx context.Context, rec store.Record, now time.Time) (store.Record, error) {
	if err := ctxError(ctx, opClaim, rec.Key); err != nil {
		return store.Record{}, err
	}
	if err := rec.ValidateClaim(now); err != nil {
		return store.Record{}, err
	}
	it := s.opts.encode(rec, s.z)
	if err := checkSize(opClaim, rec.Key, it); err != nil {
		return store.Record{}, err
	}
	in := &ddb.PutItemInput{
		TableName:           aws.String(s.opts.Table),
		Item:                it,
		ConditionExpression: aws.String(claimCondition),
		ExpressionAttributeNames: map[string]string{
			"#id":                 s.opts.KeyAttr,
			"#expiry":             s.opts.ExpiryAttr,
			"#in_progress_expiry": s.opts.InProgressExpiryAttr,
			"#status":             s.opts.StatusAttr,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":           num(store.EpochSeconds(now)),
			":now_in_millis": num(store.EpochMillis(now)),
			":inprogress":    str(string(store.StatusInProgress)),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	for range claimAttempts {
		_, err := s.client.PutItem(ctx, in)
		if err == nil {
			return store.Record{}, nil
		}
		if err = translate(ctx, opClaim, rec.Key, err); !errors.Is(err, store.ErrAlreadyExists) {
			return store.Record{}, err
		}
		old := oldItem(err)
		if old == nil {
			if old, err = s.get(ctx, rec.Key); err != nil {
				return store.Record{}, err
			}
		}
		if old == nil {
			continue // deleted since the put: the key may be free
		}
		got, err := s.opts.decode(old)
		if err != nil {
			return store.Record{}, fmt.Errorf("dynamodb: claim %q: %w", rec.Key, err)
		}
		if got.Live(now) {
			return got, fmt.Errorf("dynamodb: claim %q: %w", rec.Key, store.ErrAlreadyExists)
		}
	}
	return store.Record{}, fmt.Errorf("dynamodb: claim %q: a live record blocked the claim %d times but "+
		"was gone or no longer live when read", rec.Key, claimAttempts)
}

// get reads key's record with a consistent read; a missing record is nil.
func (s *Store) get(ctx context.Context, key string) (item, error) {
	out, err := s.client.GetItem(ctx, &ddb.GetItemInput{
		TableName:      aws.String(s.opts.Table),
		Key:            s.opts.keyItem(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, translate(ctx, opGet, key, err)
	}
	if len(out.Item) == 0 {
		return nil, nil
	}
	return out.Item, nil
}

// Complete implements store.Store with one PutItem that replaces the whole
// item, conditional on the stored record being in progress and owned by
// rec.Owner. An item over [MaxItemBytes] is refused before sending it.
func (s *Store) Complete(ctx context.Context, rec store.Record) error {
	if err := ctxError(ctx, opComplete, rec.Key); err != nil {
		return err
	}
	if err := rec.ValidateComplete(); err != nil {
		return err
	}
	it := s.opts.encode(rec, s.z)
	if err := checkSize(opComplete, rec.Key, it); err != nil {
		return err
	}
	_, err := s.client.PutItem(ctx, &ddb.PutItemInput{
		TableName:                 aws.String(s.opts.Table),
		Item:                      it,
		ConditionExpression:       aws.String(ownedCondition),
		ExpressionAttributeNames:  s.ownedNames(),
		ExpressionAttributeValues: ownedValues(rec.Owner),
	})
	return translate(ctx, opComplete, rec.Key, err)
}

// Delete implements store.Store with one DeleteItem, conditional on the
// stored record being in progress and owned by owner.
func (s *Store) Delete(ctx context.Context, key, owner string) error {
	if err := ctxError(ctx, opDelete, key); err != nil {
		return err
	}
	if key == "" || owner == "" {
		// No claim has either (Claim rejects them), and DynamoDB rejects an
		// empty key value.
		return fmt.Errorf("dynamodb: delete %q by owner %q: %w", key, owner, store.ErrNotOwner)
	}
	_, err := s.client.DeleteItem(ctx, &ddb.DeleteItemInput{
		TableName:                 aws.String(s.opts.Table),
		Key:                       s.opts.keyItem(key),
		ConditionExpression:       aws.String(ownedCondition),
		ExpressionAttributeNames:  s.ownedNames(),
		ExpressionAttributeValues: ownedValues(owner),
	})
	return translate(ctx, opDelete, key, err)
}

func (s *Store) ownedNames() map[string]string {
	return map[string]string{"#status": s.opts.StatusAttr, "#owner": OwnerAttr}
}

func ownedValues(owner string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		":inprogress": str(string(store.StatusInProgress)),
		":owner":      str(owner),
	}
}

// checkSize refuses an item DynamoDB would refuse for its size.
func checkSize(o op, key string, it item) error {
	if n := itemSize(it); n > MaxItemBytes {
		return fmt.Errorf("dynamodb: %s %q: %w: item of %d bytes exceeds DynamoDB's %d",
			o, key, store.ErrRecordTooLarge, n, MaxItemBytes)
	}
	return nil
}

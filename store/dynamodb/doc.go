// Package dynamodb is the DynamoDB backend of store.Store. Its records use
// the item layout of Powertools for AWS Lambda (Python)'s
// DynamoDBPersistenceLayer, so the two can share a table and read each
// other's completed records.
//
// # Item layout
//
// Attribute names come from [Options] (Powertools' names by default):
//
//	id                      S  the idempotency key; with a sort key, id holds
//	                           Options.StaticPKValue and the sort key the key
//	expiration              N  Record.Expiry, epoch seconds
//	in_progress_expiration  N  Record.InProgressExpiry, epoch milliseconds
//	                           (absent when zero)
//	status                  S  INPROGRESS or COMPLETED
//	data                    S  Record.Response (absent when empty)
//	validation              S  Record.PayloadHash (absent when empty)
//	idemproxy_owner         S  Record.Owner
//	idemproxy_content_type  S  Record.ContentType (absent when empty)
//	idemproxy_encoding      S  "base64" when data holds the base64 of a
//	                           response that is not valid UTF-8; absent
//	                           when data holds the response bytes verbatim
//
// Powertools ignores the idemproxy_ attributes. A record Powertools wrote
// has none: its data (json.dumps of the result, "null" for None) is read as
// the response bytes, its Owner is empty, so idemproxy can replay it but
// never complete or delete it.
//
// An empty response is stored as no data attribute; it reads back as an
// empty Response. Powertools replays such a record as None, as it does its
// own records whose data is "null" or another falsy JSON value
// (response_json_as_dict, then "if response_dict else None").
//
// # Calls
//
// Claim is one conditional PutItem with Powertools' condition and
// ReturnValuesOnConditionCheckFailure=ALL_OLD (plus a consistent GetItem
// when the server does not return the old item). Complete is one PutItem
// replacing the item and Delete one DeleteItem, both conditional on
// status = INPROGRESS and idemproxy_owner = the caller's owner. Records over
// DynamoDB's 400 KB item limit are refused before they are sent
// ([MaxItemBytes]); the limit leaves about 300 KB for a binary response
// (base64) and about 400 KB for a UTF-8 one.
package dynamodb

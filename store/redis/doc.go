// Package redis is the Redis (and Valkey) backend of store.Store, for a
// standalone server or a Redis Cluster, built on go-redis.
//
// # Layout
//
// A record is stored as AWS Lambda Powertools' RedisCachePersistenceLayer
// stores it, so the two can share records: a JSON object under the
// idempotency key itself,
//
//	{"status": "INPROGRESS", "expiration": <epoch s>, "in_progress_expiration": <epoch ms>,
//	 "validation": "<hash>", "idemproxy_owner": "<token>"}
//	{"data": "<response>", "status": "COMPLETED", "expiration": <epoch s>, ...,
//	 "idemproxy_owner": "<token>", "idemproxy_content_type": "<type>", "idemproxy_encoding": "base64"}
//
// with the field names configurable as in Powertools (see [Options]). data
// holds the response bytes verbatim when they are valid UTF-8 (a JSON
// response is then exactly Powertools' json.dumps(result) string, so
// Powertools replays it), and base64 with idemproxy_encoding "base64"
// otherwise. Records written by Powertools (Python, or TypeScript with data
// as native JSON) decode with no owner, so they can be replayed but never
// completed or deleted by this store. The key also gets a server-side TTL
// lasting until the end of the record's expiry second (at least 1 s),
// computed from the caller's clock as Powertools does.
//
// # Atomicity
//
// Powertools claims with SET NX, then GET, then takes a second "{key}:lock"
// key to overwrite an "orphan" record: a check-then-act across round trips
// that let two callers both run the handler (Powertools Python #8386,
// TypeScript #5678). Here Claim, Complete and Delete are each one Lua script
// over the record key alone: Claim writes unless a live record exists (by
// [store.Record.Live], with the caller's time) and otherwise returns it in the
// same reply; Complete and Delete act only on an in-progress record of the
// caller's owner token. So a claim, a replay, a completion and a deletion
// each cost one round trip, and scripts work unchanged on a cluster.
//
// Liveness is decided only by the caller's times. Note that Redis
// replication is asynchronous: a failover can lose an acknowledged claim,
// as with any Redis lock.
//
// # Limits
//
// Complete rejects a response longer than Options.MaxResponseBytes
// (default [DefaultMaxResponseBytes], Lambda's own response limit) with
// store.ErrRecordTooLarge. The scripts decode the stored JSON with the
// server's cjson, so a multi-megabyte record costs the server some
// milliseconds per operation on its key.
package redis

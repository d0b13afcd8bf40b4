package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"

	goredis "github.com/redis/go-redis/v9"
)

// Each operation is one Lua script over one key (KEYS[1], the record key),
// so it is atomic on the server and routes to one node in a cluster. The
// scripts take every time from the caller, never from the server clock, and
// write values built by encodeRecord verbatim (cjson is used only to read).
//
// Liveness in claimScript is store.Record.Live over the fields decodeRecord
// reads: numbers are floored, a missing or non-numeric expiration counts as
// 0, and an in-progress expiration of 0 (or missing) means none. A value
// cjson cannot decode, or that is not a JSON object, is not live, as
// Powertools treats it (an "orphan"): here it is replaced atomically.

// claimScript writes ARGV[1] with a TTL of ARGV[2] ms unless KEYS[1] holds
// a live record, which it returns instead; it returns 1 after writing.
// ARGV: 3 now in epoch s, 4 now in epoch ms, 5 status field,
// 6 expiry field, 7 in-progress expiry field.
const claimScript = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  if ok and type(rec) == 'table' then
    local exp = rec[ARGV[6]]
    if type(exp) ~= 'number' then exp = 0 end
    local live = math.floor(exp) >= tonumber(ARGV[3])
    if live and rec[ARGV[5]] == 'INPROGRESS' then
      local ipe = rec[ARGV[7]]
      if type(ipe) == 'number' then
        ipe = math.floor(ipe)
        if ipe ~= 0 and ipe < tonumber(ARGV[4]) then live = false end
      end
    end
    if live then return cur end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`

// ownedPrelude sets owned to whether KEYS[1] holds an in-progress record
// whose owner field ARGV[4] equals the non-empty ARGV[3]. ARGV[2] is the
// status field.
const ownedPrelude = `
local owned = false
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, rec = pcall(cjson.decode, cur)
  owned = ok and type(rec) == 'table' and rec[ARGV[2]] == 'INPROGRESS' and
    ARGV[3] ~= '' and rec[ARGV[4]] == ARGV[3]
end
if not owned then return 0 end
`

// completeScript replaces an owned in-progress record with the record
// given in pieces ARGV[6], ARGV[7] ... (joined: large responses are sent
// in chunks, see recordParts.args), with a TTL of ARGV[5] ms; it returns 1
// if it did, 0 if the record is not owned. ARGV[1] is unused.
const completeScript = ownedPrelude + `
redis.call('SET', KEYS[1], table.concat(ARGV, '', 6), 'PX', ARGV[5])
return 1
`

// deleteScript deletes an owned in-progress record; it returns 1 if it did,
// 0 if the record is not owned. ARGV[1] is unused.
const deleteScript = ownedPrelude + `
redis.call('DEL', KEYS[1])
return 1
`

// script is Lua source with its SHA-1, run with EVALSHA falling back to EVAL.
type script struct {
	src, sha string
}

func newScript(src string) script {
	sum := sha1.Sum([]byte(src))
	return script{src: src, sha: hex.EncodeToString(sum[:])}
}

// scripts are the Store's three operations.
type scripts struct {
	claim, complete, delete script
}

func newScripts() scripts {
	return scripts{newScript(claimScript), newScript(completeScript), newScript(deleteScript)}
}

// noRetryCmd is a command go-redis must not retry after a network error:
// the script may have run, and running it again is not idempotent (a
// repeated claim would find its own record). MOVED and ASK redirects, which
// mean it did not run, are still followed.
type noRetryCmd struct{ *goredis.Cmd }

// NoRetry implements goredis.Cmder.
func (noRetryCmd) NoRetry() bool { return true }

// run runs sc on key with args in one round trip: EVALSHA, or, the first time
// a server sees the script, EVALSHA then EVAL.
func run(ctx context.Context, c goredis.UniversalClient, sc script, key string, args ...any) (any, error) {
	val, err := process(ctx, c, "evalsha", sc.sha, key, args)
	if errors.Is(err, goredis.ErrNoScript) || goredis.HasErrorPrefix(err, "NOSCRIPT") {
		val, err = process(ctx, c, "eval", sc.src, key, args)
	}
	return val, err
}

func process(ctx context.Context, c goredis.UniversalClient, verb, body, key string, args []any) (any, error) {
	cmd := noRetryCmd{goredis.NewCmd(ctx, append([]any{verb, body, 1, key}, args...)...)}
	if err := c.Process(ctx, cmd); err != nil {
		return nil, err
	}
	return cmd.Val(), nil
}

package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/idemproxy/idemproxy/store"
	"github.com/idemproxy/idemproxy/store/storetest"
)

// flawEnv names the flaw TestBrokenStoreHelper runs the suite against.
const flawEnv = "STORETEST_FLAW"

// helperLimit is the response limit of the broken stores.
const helperLimit = 1024

// TestBrokenStoreHelper is not a test by itself: TestSuiteDetectsFlaws runs
// it in a child process with flawEnv set and expects it to fail.
func TestBrokenStoreHelper(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	if flaw == "" {
		t.Skip("helper process for TestSuiteDetectsFlaws; runs only when " + flawEnv + " is set")
	}
	if flaw == "none" {
		flaw = ""
	}
	storetest.Run(t, storetest.Harness{
		New:              func(*testing.T) store.Store { return newBroken(flaw, helperLimit) },
		MaxResponseBytes: helperLimit,
	})
}

// TestSuiteDetectsFlaws runs the suite against stores with one deliberate
// flaw each and checks that the cases meant to catch it fail, while a store
// without a flaw passes.
func TestSuiteDetectsFlaws(t *testing.T) {
	for _, tc := range []struct {
		flaw     string
		wantFail []string // subtest names, as go test prints them
	}{
		{"none", nil},
		{"raw-times", []string{
			"expiry_equal_to_now_in_whole_seconds_is_still_live",
			"in-progress_expiry_equal_to_now_in_whole_ms_is_still_live",
		}},
		{"ignore-in-progress-expiry", []string{"takeover_after_in-progress_expiry"}},
		{"in-progress-expiry-on-completed", []string{"no_takeover_of_completed_record_after_its_in-progress_expiry"}},
		{"zero-in-progress-expiry-as-epoch", []string{"duplicate_claim_returns_the_live_record_intact"}},
		{"merge-on-takeover", []string{"takeover_after_expiry/COMPLETED"}},
		{"shared-response", []string{"stored_response_is_isolated_from_caller_buffers"}},
		{"complete-keeps-old-fields", []string{"complete_by_owner_stores_the_response_byte-identical"}},
		{"no-owner-check", []string{
			"complete_by_non-owner_fails_and_leaves_the_record_unchanged",
			"complete_of_completed_record_fails",
			"complete_and_delete_by_previous_owner_after_takeover_fail",
		}},
		{"delete-any-owner", []string{"delete_by_non-owner_fails_and_leaves_the_record_intact"}},
		{"no-validation", []string{"claim_rejects_invalid_records", "complete_rejects_invalid_records"}},
		{"ignore-ctx", []string{"cancelled_context_fails_every_method_and_changes_nothing"}},
		{"no-limit", []string{"response_larger_than_MaxResponseBytes_is_rejected"}},
		{"racy-claim", []string{
			"concurrent_claims_of_one_key_have_exactly_one_winner",
			"concurrent_takeovers_of_an_expired_record_have_exactly_one_winner",
		}},
		{"drop-streamed", []string{"streamed_marker_round-trips_and_is_replaced_by_a_plain_completion"}},
		{"truncate-large", []string{"responses_around_the_compression_threshold_round-trip_byte-identical"}},
		{"racy-complete", []string{"complete_racing_a_takeover:_exactly_one_succeeds"}},
		{"racy-delete", []string{"delete_racing_a_takeover_never_removes_the_new_owner's_record"}},
	} {
		t.Run(tc.flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0],
				"-test.run=^TestBrokenStoreHelper$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), flawEnv+"="+tc.flaw)
			out, err := cmd.CombinedOutput()
			if len(tc.wantFail) == 0 {
				if err != nil {
					t.Fatalf("suite failed against a correct store: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("suite passed against a store with flaw %q\n%s", tc.flaw, out)
			}
			for _, name := range tc.wantFail {
				if !strings.Contains(string(out), "--- FAIL: TestBrokenStoreHelper/"+name) {
					t.Errorf("case %q did not fail for flaw %q", name, tc.flaw)
				}
			}
			if t.Failed() {
				t.Logf("child output:\n%s", out)
			}
		})
	}
}

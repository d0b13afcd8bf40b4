package main

import "testing"

func TestSingleProc(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, true},
		{map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "1"}, true},
		{map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "junk"}, true},
		{map[string]string{"AWS_LAMBDA_MAX_CONCURRENCY": "8"}, false},
		{map[string]string{"GOMAXPROCS": "2"}, false},
		{map[string]string{"GOMAXPROCS": "1", "AWS_LAMBDA_MAX_CONCURRENCY": "8"}, false},
	} {
		if got := singleProc(func(k string) string { return tc.env[k] }); got != tc.want {
			t.Errorf("singleProc(%v) = %v, want %v", tc.env, got, tc.want)
		}
	}
}

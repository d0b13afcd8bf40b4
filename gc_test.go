package main

import "testing"

func TestMemoryLimit(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want int64
	}{
		{nil, 16 << 20},
		{map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}, 16 << 20},
		{map[string]string{"GOMEMLIMIT": "100MiB"}, 0},
		{map[string]string{"IDEMPOTENCY_USE_LOCAL_CACHE": "true", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, 16<<20 + 256<<20},
		{map[string]string{"IDEMPOTENCY_USE_LOCAL_CACHE": " on ", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, 16<<20 + 32<<20},
		{map[string]string{"IDEMPOTENCY_USE_LOCAL_CACHE": "true"}, 0},
		{map[string]string{"IDEMPOTENCY_USE_LOCAL_CACHE": "yes", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}, 0},
		{map[string]string{"IDEMPOTENCY_USE_LOCAL_CACHE": "false", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, 16 << 20},
		{map[string]string{"IDEMPOTENCY_STORE": " Memory ", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}, 16<<20 + 752<<20},
		{map[string]string{"IDEMPOTENCY_STORE": "memory"}, 0},
		{map[string]string{"IDEMPOTENCY_STORE": "dynamodb", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, 16 << 20},
		{map[string]string{"IDEMPOTENCY_STORE": "redis", "IDEMPOTENCY_USE_LOCAL_CACHE": "1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024"}, 16<<20 + 256<<20},
	}
	for _, c := range cases {
		if got := memoryLimit(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("memoryLimit(%v) = %d, want %d", c.env, got, c.want)
		}
	}
}

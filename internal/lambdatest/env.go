package lambdatest

import (
	"errors"
	"fmt"
	"strings"
)

// ErrEnvAssignment means a KEY=VALUE assignment is malformed.
var ErrEnvAssignment = errors.New("lambdatest: want KEY=VALUE")

// ParseEnvAssignment validates a KEY=VALUE environment assignment (as given
// to the demo's -env flag) and returns it unchanged. KEY must be a shell
// variable name; VALUE may be empty but must not hold a NUL byte.
func ParseEnvAssignment(s string) (string, error) {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return "", fmt.Errorf("%w: %q", ErrEnvAssignment, s)
	}
	for i, r := range name {
		letter := r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
		if !letter && (i == 0 || r < '0' || r > '9') {
			return "", fmt.Errorf("%w: bad name %q", ErrEnvAssignment, name)
		}
	}
	if strings.ContainsRune(value, 0) {
		return "", fmt.Errorf("%w: NUL byte in the value of %s", ErrEnvAssignment, name)
	}
	return s, nil
}

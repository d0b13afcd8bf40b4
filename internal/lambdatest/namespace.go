package lambdatest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// layout describes the files prepared for one emulator.
type layout struct {
	// opt is mounted over /opt.
	opt string
	// taskDir is the emulator's working directory.
	taskDir string
	// varDir, if set, is mounted over /var to provide /var/task
	// (Managed Instances mode on a host without /var/task).
	varDir string
	// bootstrap is the positional arguments of aws-lambda-rie.
	bootstrap []string
	// lmi selects the Managed Instances layout (/opt/bootstrap, /var/task).
	lmi bool
}

// prepareLayout creates the private /opt (and, in Managed Instances mode,
// /opt/bootstrap and /var/task) under tmp.
func prepareLayout(tmp string, opts Options) (layout, error) {
	l := layout{opt: filepath.Join(tmp, "opt"), taskDir: opts.Dir, lmi: opts.MaxConcurrency > 0}
	if l.taskDir == "" {
		l.taskDir = filepath.Join(tmp, "task")
	}
	// Managed Instances mode runs processes as uid 993: everything must be
	// readable and executable by others.
	for _, d := range []string{tmp, l.opt, l.taskDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return l, fmt.Errorf("lambdatest: layout: %w", err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return l, fmt.Errorf("lambdatest: layout: %w", err)
	}
	command := opts.Handler
	if opts.Extension {
		art := opts.Artifacts
		ext := filepath.Join(l.opt, "extensions")
		if err := os.Mkdir(ext, 0o755); err != nil {
			return l, fmt.Errorf("lambdatest: layout: %w", err)
		}
		if err := copyFile(art.Extension, filepath.Join(ext, ExtensionName), 0o755); err != nil {
			return l, fmt.Errorf("lambdatest: layout: %w", err)
		}
		if err := copyFile(art.Wrapper, filepath.Join(l.opt, WrapperName), 0o755); err != nil {
			return l, fmt.Errorf("lambdatest: layout: %w", err)
		}
		command = append([]string{"/opt/" + WrapperName}, command...)
	}
	if !l.lmi {
		l.bootstrap = command
		return l, nil
	}
	// Managed Instances mode ignores the command line: it runs /opt/bootstrap
	// in /var/task.
	script := "#!/bin/sh\nexec " + shellQuote(command) + "\n"
	if err := os.WriteFile(filepath.Join(l.opt, "bootstrap"), []byte(script), 0o755); err != nil {
		return l, fmt.Errorf("lambdatest: layout: %w", err)
	}
	if _, err := os.Stat("/var/task"); err != nil {
		l.varDir = filepath.Join(tmp, "var")
		if err := os.Mkdir(l.varDir, 0o755); err != nil {
			return l, fmt.Errorf("lambdatest: layout: %w", err)
		}
	}
	return l, nil
}

// mountScript runs as PID 1 of the emulator's namespaces: it mounts the
// private folders, then execs the emulator. $1 is the private /opt, $2 the
// task folder, $3 the replacement /var or "" (keep /var).
const mountScript = `set -e
mount --bind "$1" /opt
if [ -n "$3" ]; then
	for e in /var/* /var/.[!.]*; do
		[ -e "$e" ] || [ -L "$e" ] || continue
		n="$3/${e#/var/}"
		if [ -L "$e" ]; then cp -P "$e" "$n"
		elif [ -d "$e" ]; then mkdir "$n"; mount --rbind "$e" "$n"
		else touch "$n"; mount --bind "$e" "$n"; fi
	done
	mkdir "$3/task"
	mount --rbind "$3" /var
fi
if [ "$4" = lmi ]; then mount --bind "$2" /var/task; fi
shift 4
exec "$@"
`

// namespaceCommand runs the emulator as PID 1 of new mount and PID
// namespaces: a private /opt, and no process outlives the emulator.
func namespaceCommand(l layout, rie string, args []string) *exec.Cmd {
	flags := []string{"--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private"}
	if os.Geteuid() != 0 {
		flags = append([]string{"--map-root-user"}, flags...)
	}
	mode := "classic"
	if l.lmi {
		mode = "lmi"
	}
	argv := append(flags, "sh", "-c", mountScript, "sh", l.opt, l.taskDir, l.varDir, mode, rie)
	cmd := exec.Command("unshare", append(argv, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	return cmd
}

// namespaceInit returns the host PID of the forked child of unshare (the
// emulator, PID 1 of the namespace).
func namespaceInit(unsharePID int) (int, error) {
	path := fmt.Sprintf("/proc/%d/task/%d/children", unsharePID, unsharePID)
	for range 100 {
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, fmt.Errorf("lambdatest: find emulator pid: %w", err)
		}
		if pids := parsePIDs(string(data)); len(pids) > 0 {
			return pids[0], nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0, fmt.Errorf("lambdatest: find emulator pid: unshare %d has no child", unsharePID)
}

// parsePIDs parses a space-separated list of process IDs, skipping
// anything that is not a positive number.
func parsePIDs(s string) []int {
	var pids []int
	for _, f := range strings.Fields(s) {
		if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// shellQuote quotes args for sh.
func shellQuote(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(quoted, " ")
}

// filterEnv drops variables that would leak the caller's Lambda or
// idemproxy settings into the emulator.
func filterEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "AWS_LAMBDA_"), strings.HasPrefix(name, "IDEMPOTENCY_"),
			strings.HasPrefix(name, "LAMBDATEST_"), name == "_HANDLER", name == "LAMBDA_TASK_ROOT":
			continue
		}
		out = append(out, kv)
	}
	return out
}

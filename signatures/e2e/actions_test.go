package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"golang.org/x/sys/unix"
)

// The attacks run in child processes: the live source ignores the agent's own process.
const helperEnv = "TRACEE_E2E_ACTION"

func TestMain(m *testing.M) {
	if action := os.Getenv(helperEnv); action != "" {
		if err := helperAction(action, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, action+":", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// helperCmd prepares one helper action in a child copy of the test binary.
func helperCmd(action string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+action)
	return cmd
}

// run runs cmd to completion and returns its pid.
func run(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if cmd.Process == nil {
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	if err != nil {
		t.Fatalf("%v: %v: %s", cmd.Args, err, out)
	}
	return cmd.Process.Pid
}

func helper(t *testing.T, action string, args ...string) int {
	t.Helper()
	return run(t, helperCmd(action, args...))
}

// sh runs a shell script and returns the shell's pid.
func sh(t *testing.T, script string) int {
	t.Helper()
	return run(t, exec.Command("/bin/sh", "-c", script))
}

// privateSh runs a script in a private mount namespace, where it may mount over system folders
// without the host seeing it.
func privateSh(t *testing.T, script string) int {
	t.Helper()
	return run(t, exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", script))
}

// inFakeContainer runs cmd in a fresh cgroup named like a Docker container, which is how the
// agent recognises containers. cmd must wait for one line on stdin before acting.
func inFakeContainer(t *testing.T, cmd *exec.Cmd) (pid int, containerID string) {
	t.Helper()
	const root = "/sys/fs/cgroup/unified"
	if _, err := os.Stat(filepath.Join(root, "cgroup.procs")); err != nil {
		t.Skipf("needs a cgroup v2 hierarchy at %s to stage a container: %v", root, err)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	containerID = hex.EncodeToString(b)
	dir := filepath.Join(root, "docker-"+containerID+".scope")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot create a cgroup to stage a container: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(dir) })
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid = cmd.Process.Pid
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Skipf("cannot move a process into a staged container cgroup: %v", err)
	}
	_, _ = io.WriteString(stdin, "go\n")
	_ = stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %v: %s", cmd.Args, err, out.String())
	}
	return pid, containerID
}

// helperAction performs one attack inside the child process.
func helperAction(action string, args []string) error {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch action {
	case "ptrace-traceme":
		if _, _, e := syscall.RawSyscall(syscall.SYS_PTRACE, syscall.PTRACE_TRACEME, 0, 0); e != 0 {
			return e
		}
		return nil
	case "ptrace-poke":
		return withVictim(func(pid int, addr uintptr) error {
			runtime.LockOSThread()
			if err := unix.PtraceAttach(pid); err != nil {
				return fmt.Errorf("attach: %w", err)
			}
			var ws unix.WaitStatus
			if _, err := unix.Wait4(pid, &ws, 0, nil); err != nil {
				return err
			}
			word := make([]byte, 8)
			if _, err := unix.PtracePeekData(pid, addr, word); err != nil {
				return fmt.Errorf("peek: %w", err)
			}
			if _, err := unix.PtracePokeData(pid, addr, word); err != nil { // writes back what was there
				return fmt.Errorf("poke: %w", err)
			}
			return unix.PtraceDetach(pid)
		})
	case "vm-write":
		return withVictim(func(pid int, addr uintptr) error {
			buf := make([]byte, 8)
			remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
			if _, err := unix.ProcessVMReadv(pid, []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}, remote, 0); err != nil {
				return fmt.Errorf("read: %w", err)
			}
			_, err := unix.ProcessVMWritev(pid, []unix.Iovec{{Base: &buf[0], Len: uint64(len(buf))}}, remote, 0)
			return err
		})
	case "memfd-exec":
		fd, err := unix.MemfdCreate("e2e-fileless", 0)
		if err != nil {
			return err
		}
		bin, err := os.ReadFile("/bin/true")
		if err != nil {
			return err
		}
		if _, err := unix.Write(fd, bin); err != nil {
			return err
		}
		return syscall.Exec(fmt.Sprintf("/proc/self/fd/%d", fd), []string{"fileless"}, nil)
	case "open":
		flags, _ := strconv.Atoi(arg(1))
		f, err := os.OpenFile(arg(0), flags, 0)
		if err != nil {
			return err
		}
		return f.Close()
	case "bpf-load":
		prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.SocketFilter, License: "GPL",
			Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}})
		if err != nil {
			return err
		}
		return prog.Close()
	case "wait-sh":
		// Runs a script once moved into a staged container cgroup, then lingers so the agent can
		// place the cgroup.
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		lingerForContainerLookup()
		out, err := exec.Command("/bin/sh", "-c", arg(0)).CombinedOutput()
		lingerForContainerLookup()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	case "wait-dial-quick":
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		lingerForContainerLookup()
		// The connect syscall is the act; whether anything answers does not matter.
		if c, err := net.DialTimeout("tcp", arg(0), 300*time.Millisecond); err == nil {
			c.Close()
		}
		lingerForContainerLookup()
		return nil
	case "wait-packet-socket":
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		lingerForContainerLookup()
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
		if err != nil {
			return err
		}
		lingerForContainerLookup()
		return unix.Close(fd)
	case "udp-connect":
		c, err := net.Dial("udp", arg(0))
		if err != nil {
			return err
		}
		return c.Close()
	case "setuid-root":
		// Run as an unprivileged user: the kernel refuses, the attempt is what is seen.
		if _, _, e := unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0); e == 0 {
			return fmt.Errorf("setuid(0) succeeded as uid %d", os.Getuid())
		}
		return nil
	case "exec-empty-argv":
		// execve with argv = {NULL}, as PwnKit calls pkexec.
		return syscall.Exec(arg(0), []string{}, nil)
	case "userfaultfd":
		fd, _, e := unix.Syscall(unix.SYS_USERFAULTFD, 0, 0, 0)
		if e == 0 {
			unix.Close(int(fd))
		}
		return nil // refused for unprivileged users (vm.unprivileged_userfaultfd=0): the call is the act
	case "patch-text":
		// What an in-process hook does: make a page of a loaded library's code writable as well.
		return patchLibraryText()
	case "mmap-wx":
		mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			return err
		}
		return unix.Munmap(mem)
	case "reverse-shell":
		conn, err := net.Dial("tcp", arg(0))
		if err != nil {
			return err
		}
		defer conn.Close()
		f, err := conn.(*net.TCPConn).File()
		if err != nil {
			return err
		}
		cmd := exec.Command("/bin/sh", "-c", "exit 0")
		cmd.Stdin = f
		return cmd.Run()
	case "wait-dial-unix":
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		conn, err := net.Dial("unix", arg(0))
		if err != nil {
			return err
		}
		lingerForContainerLookup()
		return conn.Close()
	case "wait-dial-tcp":
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		// exec records the environment; the dial is what the signature checks against it.
		if err := exec.Command("/bin/true").Run(); err != nil {
			return err
		}
		conn, err := net.Dial("tcp", arg(0))
		if err != nil {
			return err
		}
		lingerForContainerLookup()
		return conn.Close()
	case "wait-mount-bind":
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return err
		}
		// The mount namespace is private to this thread, so the host never sees the mount.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			return err
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			return err
		}
		if err := unix.Mount(arg(0), arg(1), "", unix.MS_BIND, ""); err != nil {
			return err
		}
		lingerForContainerLookup()
		return nil
	}
	return fmt.Errorf("unknown helper action %q", action)
}

// lingerForContainerLookup keeps the process alive until the agent has decoded its events: the
// live source finds a process's container in /proc/<pid>/cgroup, which vanishes at exit.
func lingerForContainerLookup() { time.Sleep(500 * time.Millisecond) }

// withVictim starts a sleeping child and hands f its pid and the address of a writable mapping.
func withVictim(f func(pid int, addr uintptr) error) error {
	victim := exec.Command("/bin/sleep", "30")
	if err := victim.Start(); err != nil {
		return err
	}
	defer func() { _ = victim.Process.Kill(); _ = victim.Wait() }()
	time.Sleep(100 * time.Millisecond) // let it exec and map its stack
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", victim.Process.Pid))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(maps), "\n") {
		fields := strings.Fields(line)
		if len(fields) >= 2 && strings.HasPrefix(fields[1], "rw") {
			start, err := strconv.ParseUint(strings.SplitN(fields[0], "-", 2)[0], 16, 64)
			if err != nil {
				return err
			}
			return f(victim.Process.Pid, uintptr(start))
		}
	}
	return fmt.Errorf("no writable mapping in the victim")
}

// patchLibraryText makes the first code page of a mapped shared library RWX, then puts it back.
func patchLibraryText() error {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	for _, line := range strings.Split(string(maps), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || f[1] != "r-xp" || !strings.Contains(f[5], ".so") {
			continue
		}
		start, err := strconv.ParseUint(strings.SplitN(f[0], "-", 2)[0], 16, 64)
		if err != nil {
			return err
		}
		// The raw syscall: the page is not Go memory, so no []byte may point at it.
		if _, _, e := unix.Syscall(unix.SYS_MPROTECT, uintptr(start), 4096, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC); e != 0 {
			return fmt.Errorf("mprotect %s: %w", f[5], e)
		}
		_, _, e := unix.Syscall(unix.SYS_MPROTECT, uintptr(start), 4096, unix.PROT_READ|unix.PROT_EXEC)
		if e != 0 {
			return e
		}
		return nil
	}
	return fmt.Errorf("no shared library code mapped")
}

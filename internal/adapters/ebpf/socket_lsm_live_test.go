package ebpf

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/seed-428f5ad7/tracee/types/trace"
)

// TestSource_live_socket_and_symlink_events: security_socket_create/bind/listen/accept and
// security_inode_symlink rebuilt from syscalls, with Tracee's arguments.
func TestSource_live_socket_and_symlink_events(t *testing.T) {
	l := requireLive(t)
	dir := t.TempDir()
	since := l.mark()
	cmd := helperCommand("sockets", dir)
	out, err := cmd.Output()
	require.NoError(t, err)
	pid := cmd.Process.Pid
	var fd int32
	var port int
	_, err = fmt.Sscan(string(out), &fd, &port)
	require.NoError(t, err, "%q", out)
	local := map[string]string{"sa_family": "AF_INET", "sin_addr": "127.0.0.1", "sin_port": strconv.Itoa(port)}

	tests := []struct {
		event string
		match func(*trace.Event) bool
		args  map[string]interface{}
	}{
		{"security_socket_create", func(ev *trace.Event) bool { return ev.ReturnValue == int(fd) }, map[string]interface{}{
			"family": int32(2), "type": int32(1), "protocol": int32(0), "kern": int32(0)}},
		{"security_socket_bind", nil, map[string]interface{}{"sockfd": fd,
			"local_addr": map[string]string{"sa_family": "AF_INET", "sin_addr": "127.0.0.1", "sin_port": "0"}}},
		{"security_socket_listen", nil, map[string]interface{}{"sockfd": fd, "local_addr": local, "backlog": int32(5)}},
		{"security_socket_accept", nil, map[string]interface{}{"sockfd": fd, "local_addr": local}},
		{"security_inode_symlink", nil, map[string]interface{}{"linkpath": filepath.Join(dir, "link"), "target": "/etc/hostname"}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			ev := l.waitFor(t, since, func(ev *trace.Event) bool {
				return ev.EventName == tt.event && ev.HostProcessID == pid && (tt.match == nil || tt.match(ev))
			})
			assertContext(t, ev, pid)
			for name, want := range tt.args {
				assert.Equal(t, want, arg(t, ev, name), name)
			}
		})
	}
}

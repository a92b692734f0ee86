# Findings from containers: tagged "container", with the image as a field, and one severity
# level higher for signatures that mean a breakout attempt.
package tracee.findings

breakout_signatures := {
	"TRC-106", # cgroup_notify_on_release
	"TRC-1010", # cgroup_release_agent
	"TRC-1011", # core_pattern_modification
	"TRC-1014", # disk_mount
	"TRC-1019", # docker_abuse
}

in_container if input.container.id != ""

tags contains "container" if in_container

fields.container_image := input.container.image if {
	in_container
	input.container.image != ""
}

severity := min([input.signature.severity + 1, 4]) if {
	in_container
	input.signature.id in breakout_signatures
	input.signature.severity >= 0
}

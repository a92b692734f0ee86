package tracee.findings_test

import data.tracee.findings

mount_in_container := {
	"container": {"id": "abc123", "image": "alpine:3.20"},
	"signature": {"id": "TRC-1014", "severity": 2},
}

test_container_findings_are_tagged if {
	"container" in findings.tags with input as mount_in_container
}

test_image_becomes_a_field if {
	findings.fields.container_image == "alpine:3.20" with input as mount_in_container
}

test_breakout_raises_severity if {
	findings.severity == 3 with input as mount_in_container
}

test_severity_stays_at_most_4 if {
	findings.severity == 4 with input as object.union(mount_in_container, {"signature": {"id": "TRC-1014", "severity": 4}})
}

test_other_signatures_keep_severity if {
	not findings.severity with input as object.union(mount_in_container, {"signature": {"id": "TRC-102", "severity": 2}})
}

test_host_findings_are_untouched if {
	count(findings.tags) == 0 with input as {"container": {"id": ""}, "signature": {"id": "TRC-1014", "severity": 2}}
	not findings.severity with input as {"container": {"id": ""}, "signature": {"id": "TRC-1014", "severity": 2}}
}

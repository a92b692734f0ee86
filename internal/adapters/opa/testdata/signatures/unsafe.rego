package signatures.unsafe

__rego_metadoc__ := {"id": "REGO-UNSAFE", "eventName": "unsafe"}

tracee_selected_events contains {"name": "ptrace"}

tracee_match if {
	x == input.eventName
}

package signatures.broken

__rego_metadoc__ := {"id": "REGO-BROKEN", "eventName": "broken"}

tracee_selected_events contains {"name": "ptrace"}

tracee_match if {
	input.eventName == 
}

# A Rego signature in Rego v1: the process asks to be traced (PTRACE_TRACEME).
package signatures.rego_anti_debugging

__rego_metadoc__ := {
	"id": "REGO-102",
	"version": "1.0.0",
	"name": "Anti-debugging (Rego)",
	"eventName": "rego_anti_debugging",
	"description": "A process asked to be traced by its parent, a common anti-debugging trick",
	"tags": ["linux", "container"],
	"properties": {"Severity": 3, "Category": "defense-evasion", "Technique": "Debugger Evasion", "external_id": "T1622"},
}

tracee_selected_events contains {"source": "tracee", "name": "ptrace"}

tracee_match := {"ptrace_request": input.data.request} if {
	input.eventName == "ptrace"
	input.data.request in {0, "PTRACE_TRACEME"} # a number from the live source, a name in Tracee's parsed JSON
}

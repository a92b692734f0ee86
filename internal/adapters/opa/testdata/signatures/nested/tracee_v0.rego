# A signature in Tracee's historical Rego v0 syntax, as tracee-rules loaded them.
package tracee.TRC_CODE_INJECTION

import data.tracee.helpers

__rego_metadoc__ := {
	"id": "REGO-103",
	"version": "0.1.0",
	"name": "Code injection via ptrace (Rego v0)",
	"eventName": "rego_ptrace_code_injection",
	"description": "A process wrote into another one's memory with ptrace",
	"tags": ["linux"],
	"properties": {"Severity": 3}
}

eventSelectors := [
	{"source": "tracee", "name": "ptrace"}
]

tracee_selected_events[eventSelector] {
	eventSelector := eventSelectors[_]
}

tracee_match {
	input.eventName == "ptrace"
	request := helpers.get_tracee_argument("request")
	request == "PTRACE_POKETEXT"
}

# A library: no tracee_match, imported by nobody here; loads without becoming a signature.
package lib.paths

sensitive(p) if startswith(p, "/etc/")

# Functions for Rego signatures, under the package name Tracee's Rego signatures imported
# (import data.tracee.helpers), so that those signatures load unchanged.
package tracee.helpers

# get_tracee_argument returns the value of the event argument called name (input.data holds
# the arguments by name: one lookup instead of a scan of input.args).
get_tracee_argument(name) := input.data[name]

# is_file_write reports whether open flags (as text, e.g. "O_WRONLY|O_CREAT") write.
default is_file_write(_) := false

is_file_write(flags) if contains(lower(flags), "o_wronly")

is_file_write(flags) if contains(lower(flags), "o_rdwr")

# is_file_read reports whether open flags read.
default is_file_read(_) := false

is_file_read(flags) if contains(lower(flags), "o_rdonly")

is_file_read(flags) if contains(lower(flags), "o_rdwr")

# is_elf_file reports whether base64-encoded bytes start with the ELF magic.
default is_elf_file(_) := false

is_elf_file(encoded) if {
	lower(substring(base64.decode(encoded), 1, 3)) == "elf"
}
